"""Declarative form definitions of catalogue procedures: validation of a definition, the Django form built from it,
and the validation of a citizen's answers (shared by the pages and the API).

A definition is a JSON list of fields:
    {"name": "purpose",                      # [a-z][a-z0-9_]*, unique in the form
     "type": "text" | "textarea" | "number" | "date" | "choice" | "yesno" | "arrondissement" | "address" | "cin"
             | "file",
     "label": {"ar": "...", "fr": "...", "zgh": "..."},   # ar and fr required
     "help": {"ar": "...", "fr": "..."},                    # optional
     "required": true,
     "choices": [{"value": "work", "label": {"ar": "...", "fr": "..."}}],   # type choice only
     "min": 0, "max": 10,                    # number: bounds; text/textarea: lengths ("min_length"/"max_length")
     "min_length": 2, "max_length": 200,
     "pattern": "^[0-9]{10}$", "pattern_message": {"ar": "...", "fr": "..."},
     "date_min": "today" | "-100y" | "2020-01-01", "date_max": "today" | "+1y" | ...,
     "show_if": {"field": "other_field", "equals": "value"}}   # shown (and required) only when the other answer matches
Required documents of the procedure are added to the form as file fields named `doc__<code>`.
"""
