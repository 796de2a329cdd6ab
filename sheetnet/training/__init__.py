"""Training in torch (GD, SGD, momentum, Adam; many starts at once) and Solver-vs-SGD comparisons."""
