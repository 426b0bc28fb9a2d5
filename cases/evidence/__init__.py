"""Evidence files: recognising the type by content, removing identifying
metadata, and storing them encrypted in chunks."""
