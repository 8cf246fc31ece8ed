"""Looking inside a network: receptive fields, heat maps, the step-through, evaluation, the timeline,
and what the panels show, all without Qt."""
