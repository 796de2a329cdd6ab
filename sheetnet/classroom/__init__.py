"""The classroom: exercise workbooks from a lesson's description, and a grader that recomputes them."""
