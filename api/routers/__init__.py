"""The API's routes by topic (FastAPI `APIRouter`s): search, documents, conflicts, service."""
