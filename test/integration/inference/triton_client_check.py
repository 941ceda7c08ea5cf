"""Talks to our inference server with NVIDIA's Triton gRPC client (grpcio, i.e. gRPC C-core) and
prints one JSON object of what the client saw. triton-client.test.ts starts the server, runs this
script and asserts on the JSON, so the expectations (and their diffs) live in one place.

Usage: python3 triton_client_check.py HOST:PORT REQUEST_JSON
REQUEST_JSON: {"model": str, "version": str, "inputs": {input name: [[int, ...], ...]}}
"""

import json
import sys

import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException

UNKNOWN_MODEL = "no-such-model"


def int64_inputs(tokens):
    """The client sends these as raw_input_contents (little-endian bytes), its only gRPC encoding."""
    inputs = []
    for name, rows in tokens.items():
        array = np.array(rows, dtype=np.int64)
        inputs.append(triton.InferInput(name, list(array.shape), "INT64").set_data_from_numpy(array))
    return inputs


def with_fp32_input_ids(tokens):
    inputs = int64_inputs(tokens)
    ids = np.array(tokens["input_ids"], dtype=np.float32)
    inputs[0] = triton.InferInput("input_ids", list(ids.shape), "FP32").set_data_from_numpy(ids)
    return inputs


def result_seen(result):
    response = result.get_response()
    return {
        "model_version": response.model_version,
        "id": response.id,
        "outputs": [{"name": o.name, "datatype": o.datatype, "shape": list(o.shape)} for o in response.outputs],
        "logits": result.as_numpy("logits").tolist(),
    }


def error_seen(call):
    """The status and message of the InferenceServerException that `call` raises."""
    try:
        call()
    except InferenceServerException as err:
        return {"status": err.status(), "message": err.message()}
    return None


def stream_infer(client, tokens, requests):
    """Sends one request per (request id, model name) on a single ModelStreamInfer stream."""
    answers = []
    client.start_stream(callback=lambda result, error: answers.append((result, error)))
    for request_id, model in requests:
        client.async_stream_infer(
            model,
            int64_inputs(tokens),
            request_id=request_id,
            outputs=[triton.InferRequestedOutput("logits")],
        )
    # Half-closes the stream and waits until the server has ended it, so every answer is in.
    client.stop_stream()
    return {
        "answers": len(answers),
        "ok": {r.get_response().id: result_seen(r) for r, e in answers if e is None},
        "errors": [e.message() for _, e in answers if e is not None],
    }


def main():
    url, request = sys.argv[1], json.loads(sys.argv[2])
    model, version, tokens = request["model"], request["version"], request["inputs"]
    client = triton.InferenceServerClient(url)
    observations = {
        "server_live": client.is_server_live(),
        "server_ready": client.is_server_ready(),
        "model_ready": client.is_model_ready(model, version),
        "model_ready_any_version": client.is_model_ready(model),
        "model_ready_other_version": client.is_model_ready(model, str(int(version) + 1)),
        "model_ready_unknown_model": client.is_model_ready(UNKNOWN_MODEL),
        "server_metadata": client.get_server_metadata(as_json=True),
        "model_metadata": client.get_model_metadata(model, version, as_json=True),
        "model_config": client.get_model_config(model, version, as_json=True),
        "model_config_any_version": client.get_model_config(model, as_json=True),
        "repository_index": client.get_model_repository_index(as_json=True),
        "infer": result_seen(client.infer(model, int64_inputs(tokens), version, request_id="unary")),
        # The client's compression option: the request message arrives with grpc-encoding: gzip.
        "infer_gzip": result_seen(
            client.infer(model, int64_inputs(tokens), request_id="gzip", compression_algorithm="gzip")
        ),
        "stream": stream_infer(client, tokens, [("stream-ok", model), ("stream-unknown", UNKNOWN_MODEL)]),
        "errors": {
            "metadata_unknown_model": error_seen(lambda: client.get_model_metadata(UNKNOWN_MODEL)),
            "config_unknown_model": error_seen(lambda: client.get_model_config(UNKNOWN_MODEL)),
            "config_other_version": error_seen(lambda: client.get_model_config(model, str(int(version) + 1))),
            "infer_unknown_model": error_seen(lambda: client.infer(UNKNOWN_MODEL, int64_inputs(tokens))),
            "infer_fp32_input_ids": error_seen(lambda: client.infer(model, with_fp32_input_ids(tokens))),
        },
    }
    # Last, so it counts every request above.
    observations["statistics"] = client.get_inference_statistics(model, version, as_json=True)
    client.close()
    print(json.dumps(observations))


if __name__ == "__main__":
    main()
