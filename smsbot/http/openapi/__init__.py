"""The OpenAPI 3.1 document of the gateway's HTTP API, generated from the code.

- `spec.py`: what an operation's description is made of (`Operation`, `Answer`, ...), the tags
  and the security schemes;
- `schemas.py`: the API's nouns as named schemas;
- `examples/`: request and answer examples, each an OpenAPI Example Object in a JSON file,
  checked against a real gateway by `tests/http/test_api_examples.py`;
- `operations.py`: the operations of the routes `smsbot.http.app` adds (reports and feedback keep
  theirs beside their handlers);
- `document.py`: all of it assembled into the document served at `/openapi.json`.
"""
