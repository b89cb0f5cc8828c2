"""Analysis of runs: projections and targets, scenario comparison, sensitivity, scenario discovery, calibration."""
