"""The one builder of the oss2 requests the signing tests sign: a test says only what its request
holds (method, URL, headers, parameters), and every request is built the same way."""

import oss2.http

REGION = "cn-hangzhou"
#: An object in a cn-hangzhou bucket, virtual-hosted style as oss2 builds it.
OBJECT_URL = "https://bkt.oss-cn-hangzhou.aliyuncs.com/dir/obj.txt"


def make_request(method="GET", url=OBJECT_URL, *, headers=None, params=None, data=None, region=REGION,
                 product="oss", cloudbox_id=None):
    """A fresh ``oss2.http.Request``; ``headers`` and ``params`` are copied, since signing writes
    into the request's own."""
    return oss2.http.Request(method, url, data=data, headers=dict(headers or {}), params=dict(params or {}),
                             region=region, product=product, cloudbox_id=cloudbox_id)
