"""No Rust panic crosses into Python (issue 10, class 4): input that changes while it is read
raises what Python's own iteration raises (RuntimeError), never pyo3's PanicException (a
BaseException that ``except Exception`` does not catch) with a backtrace on stderr."""

import functools
import gc

import pytest

import ossauth
from oss2_requests import make_request


class SetMutatingName(object):
    """An additional-header name whose ``lower()`` is itself and whose comparison with the
    header names adds to every set holding it: the set of wanted names changes size while
    ossauth walks it."""

    def __init__(self, name):
        self.name = name

    def lower(self):
        return self

    def __hash__(self):
        return hash(self.name)

    def __eq__(self, other):
        for holder in gc.get_referrers(self):
            if isinstance(holder, set):
                holder.add(object())
        return other == self.name


request = functools.partial(make_request, "GET", "https://b.oss-cn-hangzhou.aliyuncs.com/k",
                            headers={"Range": "bytes=0-1", "x-oss-meta-a": "1"})


@pytest.mark.parametrize("cls,op", [("ProviderAuthV2", "request"), ("ProviderAuthV2", "url"),
                                    ("ProviderAuthV4", "url")])
def test_additional_headers_changing_size_while_read(cls, op, capfd):
    auth = getattr(ossauth, cls)(ossauth.StaticCredentialsProvider("ak", "sk"))
    wanted = [SetMutatingName("range")]
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        if op == "request":
            auth._sign_request(request(), "b", "k", wanted)
        else:
            auth._sign_url(request(), "b", "k", 60, wanted)
    assert "panicked" not in capfd.readouterr().err
