"""One module per exercise kind (see ``lessons.exercises``)."""
