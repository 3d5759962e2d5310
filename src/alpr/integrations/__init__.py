"""Reads from the cameras agencies already own: OpenALPR/Rekor, Plate Recognizer, Frigate."""
