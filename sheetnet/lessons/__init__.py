"""The lessons: templates and data preparation, and the workbooks built from them."""
