"""Training: the step-wise Trainer, its optimisers and augmentation, progress records, torch threads."""
