"""The reference material: documents read into sections, embeddings, the Chroma store, hybrid search, citations."""
