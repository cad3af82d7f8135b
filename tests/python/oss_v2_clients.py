"""alibabacloud-oss-v2 clients pointed at the fake OSS (``oss_server.py``)."""

import alibabacloud_oss_v2 as oss

from oss_server import DEFAULT_REGION


def fake_oss_client(provider, endpoint, region=DEFAULT_REGION, **settings):
    """An oss-v2 client of ``endpoint`` (``http://127.0.0.1:<port>``): the scheme in the endpoint
    keeps HTTP (endpoints.add_scheme leaves it alone), and an IP host forces path-style
    addressing (_resolve_address_style); use_path_style says so explicitly. ``settings`` are
    further ``Config`` attributes (``retry_max_attempts=1``: a retry cannot hide a rejected
    signature)."""
    cfg = oss.config.load_default()
    cfg.credentials_provider = provider
    cfg.region = region
    cfg.endpoint = endpoint
    cfg.use_path_style = True
    cfg.disable_ssl = True
    for name, value in settings.items():
        setattr(cfg, name, value)
    return oss.Client(cfg)
