"""`impressions serve --restricted-api-key` protects the model-repository, logging and trace APIs
(a caller without the header cannot unload models or switch on verbose logging) while inference
stays open."""

from __future__ import annotations

from pathlib import Path

import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from tritonclient.utils import InferenceServerException

from tests.conftest import require_artifacts, start_server
from tests.triton_calls import summarize

pytestmark = pytest.mark.integration

HEADER = {"impressions-admin": "s3cret-for-tests"}
# Triton 2.51 prefixes the gRPC metadata key with "triton-grpc-protocol-".
GRPC_HEADER = {"triton-grpc-protocol-impressions-admin": "s3cret-for-tests"}


def test_admin_apis_need_the_key(tmp_path: Path) -> None:
    require_artifacts()
    server = start_server(
        "restricted",
        f"sqlite:///{tmp_path / 'styles.sqlite'}",
        restricted_api_key=HEADER["impressions-admin"],
    )
    try:
        http = httpclient.InferenceServerClient(server.http_url)
        grpc = grpcclient.InferenceServerClient(server.grpc_url)
        with pytest.raises(InferenceServerException, match="restricted"):
            http.get_model_repository_index()
        with pytest.raises(InferenceServerException, match="restricted"):
            grpc.get_model_repository_index()
        with pytest.raises(InferenceServerException, match="restricted"):
            http.update_log_settings({"log_verbose_level": 1})
        with pytest.raises(InferenceServerException, match="restricted"):
            grpc.unload_model("impression")
        assert any(m["name"] == "impression" for m in http.get_model_repository_index(HEADER))
        assert grpc.get_model_repository_index(headers=GRPC_HEADER).models
        # inference is not restricted, and the refused unload did not unload anything
        assert summarize("grpc", server, ["No pneumothorax."]).impression[0]
        assert summarize("http", server, ["No pneumothorax."]).impression[0]
        http.close()
        grpc.close()
    finally:
        server.stop()
