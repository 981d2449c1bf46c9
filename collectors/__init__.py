"""Sources of mentions. Every collector yields the shared ``storage.Mention`` type."""
