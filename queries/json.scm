; queries/json.scm: JSON is parsed for structure only: no symbols.
