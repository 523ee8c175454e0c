extensions = ["myst_parser", "kb_ext"]
kb_catalogue = "source_texts/catalogue.yaml"
kb_data_dir = "data"
exclude_patterns = ["source_texts", "data"]
kb_data_required = ["organisations"]  # the tiny project has no people, figures, events or measures
