"""`alpr demo`: the main job on data the project generates itself."""
