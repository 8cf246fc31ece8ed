"""The app's Qt-free half: the compute engine, the messages it exchanges, and the session between
those messages and the widgets."""
