"""The facts of Atlassian's OpenAPI document for Jira Service Management Cloud, and the judge built on them.

Source: Atlassian's "Service Management Public REST API" OpenAPI 3.0.1 document,
https://developer.atlassian.com/cloud/jira/service-desk/swagger.v3.json, version
1001.0.0-SNAPSHOT-cbff30aed2cd56c458fcc9520324d47b256bb3f5 (read from a copy kept in
github.com/fluxor-tech/migration-endpoint-catalog-atlassian, sources/jira-service-management-cloud-openapi.json).
Licence: the document names no licence, only Atlassian's Customer Agreement as its terms of service (the Jira
platform's document, by contrast, says Apache 2.0). So the document itself is not kept here: jsm-openapi-facts.json
holds only the facts of it that a program needs - paths, methods, parameters, request and response schemas (types,
enumerations, required properties, additionalProperties) - with every description, summary and example taken out
(openapi_facts.py).
`python -m tests.connectors.jsm_openapi SWAGGER.json > tests/connectors/jsm-openapi-facts.json` makes it again from
a fresh download.

`Judge` validates, with openapi-core, every request the connector sends to the simulator and every answer the
simulator gives; tests/connectors/sim_jsm.py calls it on each exchange and the tests fail on any mismatch.

Known gaps of the document, written down as exceptions (each checked by hand instead):
- 429: the operations declare no 429 answer, while Jira Cloud's "Rate limiting" page
  (developer.atlassian.com/cloud/jira/platform/rate-limiting) documents 429 with Retry-After, X-RateLimit-Reset
  and X-RateLimit-Limit / -Remaining for every endpoint; a 429's request is still validated, its answer not.
- viewArticle declares only its 200; a page that does not exist is answered 404 ErrorResponse as every other
  operation's missing resource is ("Status codes and responses": 404 "Returned if the passed path parameters
  do not correspond to an object in the instance").
- operation ids repeat (getArticles), so the document as a whole fails OpenAPI's own validation; it is loaded
  without that check.
- attachTemporaryFile's request body is typed as an array of MultipartFile objects (a Java type), where its text
  asks for multipart/form-data with one or more parts named `file`: the request's parts are checked by name here.
"""

from __future__ import annotations

import json
import sys
import warnings
from email.parser import BytesParser
from email.policy import HTTP
from functools import cache
from pathlib import Path
from typing import Any

from tests.connectors.openapi_facts import facts

FACTS = Path(__file__).with_name("jsm-openapi-facts.json")
SOURCE = ("https://developer.atlassian.com/cloud/jira/service-desk/swagger.v3.json (facts only: no descriptions, "
          "summaries or examples; see tests/connectors/jsm_openapi.py)")


def document(source: dict[str, Any]) -> dict[str, Any]:
    found = facts(source)
    found["info"] = {"title": source["info"]["title"], "version": source["info"]["version"], "x-source": SOURCE}
    return dict(sorted(found.items()))


@cache
def spec() -> Any:
    from openapi_core import Config, OpenAPI

    # The document reuses operation ids (getArticles names two operations), which the spec validator refuses; the
    # paths and schemas, what requests and answers are judged by, are sound.
    return OpenAPI.from_dict(json.loads(FACTS.read_text(encoding="utf-8")), config=Config(spec_validator_cls=None))


def multipart_names(content_type: str, body: bytes) -> list[str]:
    """The field names of a multipart/form-data body."""
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    return [str(part.get_param("name", header="content-disposition")) for part in message.iter_parts()]


class Judge:
    """Every request and answer of one simulator run, validated; `problems` lists what did not match. The simulator
    stands in for the document's server (https://your-domain.atlassian.net), so paths are judged on that host."""

    def __init__(self) -> None:
        self.host_url = json.loads(FACTS.read_text(encoding="utf-8"))["servers"][0]["url"]
        self.problems: list[str] = []
        self.checked = 0

    def request(self, method: str, path: str, query: list[tuple[str, str]], headers: dict[str, str],
                body: bytes) -> None:
        from openapi_core.testing import MockRequest
        from openapi_core.validation.request.exceptions import MissingRequestBodyError
        from werkzeug.datastructures import ImmutableMultiDict

        content_type = headers.get("Content-Type", "")
        what = f"{method} {path}"
        multipart = content_type.startswith("multipart/form-data")
        if multipart:  # the document's MultipartFile array is no schema of the wire (see above): parts by name
            names = multipart_names(content_type, body)
            if not names or set(names) != {"file"}:
                self.problems.append(f"{what}: multipart parts must all be named 'file', not {names}")
        request = MockRequest(self.host_url, method, path, headers=headers, data=None if multipart else body,
                              content_type=content_type.split(";")[0] if content_type else "application/json")
        request.parameters.query = ImmutableMultiDict(query)
        self.checked += 1
        with warnings.catch_warnings():  # openapi-core cannot check OAuth2 schemes; the simulator checks Basic auth
            warnings.simplefilter("ignore", UserWarning)
            errors = list(spec().iter_request_errors(request))
        for error in errors:
            if not (multipart and isinstance(error, MissingRequestBodyError)):
                self.problems.append(f"{what}: {describe(error)}")

    def response(self, method: str, path: str, status: int, content_type: str, body: bytes,
                 headers: dict[str, str]) -> None:
        from openapi_core.testing import MockRequest, MockResponse

        if status == 429 or (status == 404 and "/knowledgebase/article/view/" in path):
            return  # documented elsewhere, not in the OpenAPI document (see above)
        request = MockRequest(self.host_url, method, path)
        response = MockResponse(body, status_code=status, headers=headers,
                                content_type=content_type.split(";")[0] if content_type else "")
        self.checked += 1
        for error in spec().iter_response_errors(request, response):
            self.problems.append(f"answer {status} to {method} {path}: {describe(error)}")


def describe(error: Exception) -> str:
    """An openapi-core error with the schema errors beneath it (which field, which rule)."""
    cause = error.__cause__
    detail = "; ".join(f"{'/'.join(map(str, e.path))}: {e.message}" for e in getattr(cause, "schema_errors", [])
                       or [])
    return f"{error}{f' ({detail})' if detail else ''}"


if __name__ == "__main__":
    json.dump(document(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))), sys.stdout, indent=1,
              sort_keys=False, ensure_ascii=False)
    sys.stdout.write("\n")
