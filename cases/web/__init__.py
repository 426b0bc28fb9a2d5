"""The Flask glue both apps share: the only place in `cases` that imports Flask or WTForms."""
