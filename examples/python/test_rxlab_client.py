"""Unit tests of rxlab_client's transport against a local stand-in HTTP server.

The stand-in only checks what the client sends and answers canned GraphQL
responses; examples/examples_test.go runs the client against the real server.
Run: python3 -m unittest -v   (from examples/python)
"""

import json
import os
import tempfile
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest import mock

import rxlab_client
from rxlab_client import Client, RxlabError


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        srv = self.server
        length = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(length))
        srv.requests.append({"path": self.path, "auth": self.headers.get("Authorization"),
                             "ctype": self.headers.get("Content-Type"), "body": body})
        status, payload = srv.responses.pop(0) if srv.responses else (200, {"data": {}})
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.srv.requests, self.srv.responses = [], []
        self.thread = threading.Thread(target=self.srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RXLAB_")}
        self.env = mock.patch.dict(os.environ, env, clear=True)
        self.env.start()

    closed = False

    def tearDown(self):
        self.env.stop()
        if not self.closed:
            self.srv.shutdown()
            self.srv.server_close()

    def answer(self, *responses):
        self.srv.responses.extend(responses)

    def test_health_sends_token_and_document(self):
        self.answer((200, {"data": {"health": {"ok": True, "version": "v", "patients": 3, "molecules": 4}}}))
        h = Client(self.url, token="tok").health()
        self.assertEqual(h["patients"], 3)
        req = self.srv.requests[0]
        self.assertEqual(req["path"], "/graphql")
        self.assertEqual(req["auth"], "Bearer tok")
        self.assertEqual(req["ctype"], "application/json")
        self.assertIn("health { ok version patients molecules }", req["body"]["query"])
        self.assertNotIn("variables", req["body"])

    def test_token_sources(self):
        with tempfile.NamedTemporaryFile("w", suffix=".token", delete=False) as f:
            f.write("from-file\n")
        self.addCleanup(os.unlink, f.name)
        cases = [
            ({}, {"token": "arg"}, "arg"),
            ({"RXLAB_TOKEN": "env"}, {}, "env"),
            ({"RXLAB_TOKEN": "env"}, {"token_file": f.name}, "from-file"),
            ({"RXLAB_TOKEN_FILE": f.name}, {}, "from-file"),
            ({}, {}, None),
        ]
        for env, kw, want in cases:
            with self.subTest(env=env, kw=kw), mock.patch.dict(os.environ, env):
                self.assertEqual(Client(self.url, **kw).token, want)
        with self.assertRaises(RxlabError) as cm:
            Client(self.url, token_file=f.name + ".missing")
        self.assertIn("cannot read token file", str(cm.exception))

    def test_url_forms(self):
        for url, want in [
            ("http://h:1", "http://h:1/graphql"),
            ("http://h:1/", "http://h:1/graphql"),
            ("http://h:1/graphql", "http://h:1/graphql"),
            ("http://h:1/rx/", "http://h:1/rx/graphql"),
        ]:
            self.assertEqual(Client(url).endpoint, want)
        with mock.patch.dict(os.environ, {"RXLAB_URL": "http://env:2"}):
            self.assertEqual(Client().endpoint, "http://env:2/graphql")
        self.assertEqual(Client().url, rxlab_client.DEFAULT_URL)

    def test_graphql_errors_raise_with_codes(self):
        self.answer((200, {"data": None, "errors": [
            {"message": "simulate is not implemented yet", "path": ["simulate"],
             "extensions": {"code": "NOT_IMPLEMENTED"}},
            {"message": "second"},
        ]}))
        with self.assertRaises(RxlabError) as cm:
            Client(self.url, token="t").simulate({"model": "m"})
        e = cm.exception
        self.assertEqual(e.code, "NOT_IMPLEMENTED")
        self.assertEqual(e.codes, ["NOT_IMPLEMENTED", None])
        self.assertEqual(e.status, 200)
        self.assertIn("[NOT_IMPLEMENTED] simulate is not implemented yet at simulate", str(e))
        self.assertIn("second", str(e))
        self.assertEqual(self.srv.requests[0]["body"]["variables"], {"input": {"model": "m"}})

    def test_http_error_with_graphql_body(self):
        self.answer((401, {"errors": [{"message": "missing bearer token", "extensions": {"code": "UNAUTHENTICATED"}}]}))
        with self.assertRaises(RxlabError) as cm:
            Client(self.url).health()
        self.assertEqual((cm.exception.code, cm.exception.status), ("UNAUTHENTICATED", 401))
        self.assertIsNone(self.srv.requests[0]["auth"])

    def test_http_error_without_graphql_body(self):
        self.answer((502, b"<html>bad gateway</html>"), (500, {"data": None}), (200, {"nothing": 1}), (200, b"[1]"))
        for want in ["HTTP 502", "HTTP 500", "response has no data", "not a GraphQL response"]:
            with self.assertRaises(RxlabError) as cm:
                Client(self.url).health()
            self.assertIn(want, str(cm.exception))
            self.assertIsNone(cm.exception.code)

    def test_unreachable(self):
        port = self.srv.server_address[1]
        self.srv.shutdown()
        self.srv.server_close()
        with self.assertRaises(RxlabError) as cm:
            Client("http://127.0.0.1:%d" % port, timeout=2).health()
        self.assertIn("cannot reach", str(cm.exception))
        self.closed = True

    def test_none_variables_are_left_out(self):
        self.answer((200, {"data": {"pgxCall": []}}), (200, {"data": {"jobs": []}}))
        c = Client(self.url, token="t")
        c.pgx_call("##fileformat=VCFv4.2\n")
        c.jobs()
        self.assertEqual(self.srv.requests[0]["body"]["variables"], {"vcf": "##fileformat=VCFv4.2\n"})
        self.assertEqual(self.srv.requests[1]["body"]["variables"], {"first": 50})

    def test_molecule_fingerprint_is_optional(self):
        self.answer((200, {"data": {"molecule": {"smiles": "C"}}}), (200, {"data": {"molecule": {"smiles": "C"}}}))
        c = Client(self.url, token="t")
        c.molecule("C")
        c.molecule("C", fingerprint=True, radius=3, n_bits=1024)
        v0, v1 = (r["body"]["variables"] for r in self.srv.requests)
        self.assertFalse(v0["withFingerprint"])
        self.assertEqual((v1["withFingerprint"], v1["radius"], v1["nBits"]), (True, 3, 1024))

    def test_wait_job(self):
        job = {"id": "j1", "kind": "training", "progress": 0.0, "message": None, "error": None,
               "createdAt": "2026-01-01T00:00:00Z", "finishedAt": None}
        self.answer((200, {"data": {"job": dict(job, state="QUEUED")}}),
                    (200, {"data": {"job": dict(job, state="RUNNING", progress=0.5)}}),
                    (200, {"data": {"job": dict(job, state="SUCCEEDED", progress=1.0)}}))
        j = Client(self.url, token="t").wait_job("j1", timeout=10, interval=0.01)
        self.assertEqual(j["state"], "SUCCEEDED")
        self.assertEqual(len(self.srv.requests), 3)
        self.assertEqual(self.srv.requests[0]["body"]["variables"], {"id": "j1"})

        self.answer((200, {"data": {"job": None}}))
        with self.assertRaises(RxlabError) as cm:
            Client(self.url, token="t").wait_job("nope", timeout=1)
        self.assertEqual(cm.exception.code, "NOT_FOUND")

        self.srv.responses[:] = [(200, {"data": {"job": dict(job, state="RUNNING")}})] * 100
        with self.assertRaises(TimeoutError):
            Client(self.url, token="t").wait_job("j1", timeout=0.05, interval=0.01)

    def test_main_prints_health(self):
        self.answer((200, {"data": {"health": {"ok": True, "version": "v", "patients": 0, "molecules": 0}}}))
        with mock.patch("sys.stdout") as out:
            self.assertEqual(rxlab_client.main([self.url]), 0)
        printed = "".join(c.args[0] for c in out.write.call_args_list)
        self.assertEqual(json.loads(printed)["version"], "v")


if __name__ == "__main__":
    unittest.main()
