"""NVIDIA's Triton gRPC client against our server over TLS with a bearer token; prints JSON.

Usage: python3 triton_tls_check.py HOST:PORT CA_FILE TOKEN MODEL
(the token comes in as an argument only because this is a test with a throw-away token)
"""

import json
import sys

import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException

url, ca_file, token, model = sys.argv[1:5]


def status_of(call):
    try:
        call()
    except InferenceServerException as err:
        return err.status()
    return "OK"


client = triton.InferenceServerClient(url, ssl=True, root_certificates=ca_file)
auth = {"authorization": f"Bearer {token}"}
print(
    json.dumps(
        {
            "live": client.is_server_live(headers=auth),
            "model_ready": client.is_model_ready(model, headers=auth),
            "index": [m.name for m in client.get_model_repository_index(headers=auth).models],
            "no_token": status_of(lambda: client.is_server_live()),
            "wrong_token": status_of(lambda: client.is_server_live(headers={"authorization": "Bearer nope"})),
        }
    )
)
