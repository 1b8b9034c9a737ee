"""Sans-IO protocol codecs. Nothing here imports from the rest of vigie."""
