"""Question packs: the schema, safe reading, validation that points at the offending line, the catalog of packs,
and the scaffold for a new one.

A pack is a YAML file (knowledge/packs/*.yaml ships with the product; users drop their own into the packs
folder under the data dir). Every problem found in a file is reported as `file:line:column: message`, so a pack
author can jump straight to it. A broken user pack is reported and skipped; it never stops the others loading.
"""

from interviewer.packs.catalog import LoadedPack, PackCatalog, discover_packs, load_pack, pack_files
from interviewer.packs.reading import (
    MAX_EXPANDED_NODES,
    MAX_NESTING,
    MAX_PACK_BYTES,
    PackProblem,
    PackValidationError,
    Severity,
)
from interviewer.packs.scaffold import notes_file_name, scaffold_notes, scaffold_pack
from interviewer.packs.schema import (
    PACK_SUFFIXES,
    REFERENCE_ONLY_TAG,
    REFERENCE_PROBE,
    SLUG_PATTERN,
    KeyPoint,
    Misconception,
    Pack,
    Question,
    Topic,
    pack_json_schema,
)
from interviewer.packs.validation import SectionsFor, validate_pack_file, validate_pack_text

__all__ = [
    "MAX_EXPANDED_NODES", "MAX_NESTING", "MAX_PACK_BYTES", "PACK_SUFFIXES", "REFERENCE_ONLY_TAG", "REFERENCE_PROBE",
    "SLUG_PATTERN", "KeyPoint", "LoadedPack", "Misconception", "Pack", "PackCatalog", "PackProblem",
    "PackValidationError", "Question", "Severity", "SectionsFor", "Topic", "discover_packs", "load_pack",
    "notes_file_name", "pack_files", "pack_json_schema", "scaffold_notes", "scaffold_pack", "validate_pack_file",
    "validate_pack_text",
]
