"""What a run reports: the yearly tally of the firm arrays, the reporters citywide and per park, and the targets."""
