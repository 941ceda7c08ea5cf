"""One unary gRPC call per line read from stdin, made with grpcio (gRPC C-core, the transport of
Triton's Python client), for bench/serve.ts. The request is the bytes of a file, sent as they are;
each call prints "<latency ns> <response bytes>" on stdout, timed around the call alone so that the
pipe to the bench is not counted. With --check, exits 0 if grpcio imports and 3 if it does not.

    python3 bench/lib/clients/grpcio_client.py TARGET METHOD_PATH REQUEST_FILE
"""
import sys
import time

try:
    import grpc
except ImportError:
    sys.exit(3)

if sys.argv[1:] == ["--check"]:
    sys.exit(0)

target, method, request_file = sys.argv[1:4]
with open(request_file, "rb") as f:
    request = f.read()
channel = grpc.insecure_channel(target)
call = channel.unary_unary(method)  # no (de)serializers: bytes in, bytes out
for _ in sys.stdin:
    started = time.perf_counter_ns()
    response = call(request)
    elapsed = time.perf_counter_ns() - started
    sys.stdout.write(f"{elapsed} {len(response)}\n")
    sys.stdout.flush()
