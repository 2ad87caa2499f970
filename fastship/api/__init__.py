"""The API's infrastructure, which knows nothing of the domain.

``domain_error`` (the base of every domain error and the registry the schema
reads), ``error_format`` (the one error body), ``exceptions`` (DRF's exception
handler and the 404/500 handlers), ``base`` (the public view and the strict
input serializer), ``parsers`` (the body limit), ``schema`` (the OpenAPI
schema with every error code), ``settings`` (the API libraries' fixed
settings) and ``root`` (the index at /api/v1/).
"""
