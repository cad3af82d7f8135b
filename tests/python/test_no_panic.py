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


class SelfRemovingName(str):
    """A header name without a UTF-8 form (a lone surrogate) that requests' CaseInsensitiveDict
    keeps as its own key (``lower()`` is itself), and whose ``startswith`` deletes it from the
    dict that holds it: the dict's reference is gone while ossauth still looks at the name."""

    freed = []

    def lower(self):
        return self

    def startswith(self, *args):
        for holder in gc.get_referrers(self):
            if isinstance(holder, dict) and self in holder:
                del holder[self]
        return str.startswith(self, *args)

    def __del__(self):
        SelfRemovingName.freed.append(str.__repr__(self))


@pytest.mark.parametrize("cls", ["ProviderAuth", "ProviderAuthV2", "ProviderAuthV4"])
def test_a_name_that_leaves_the_headers_while_checked_is_freed_once(cls):
    SelfRemovingName.freed.clear()
    req = request()
    req.headers[SelfRemovingName("x-oss-meta-\udcff")] = "v"
    auth = getattr(ossauth, cls)(ossauth.StaticCredentialsProvider("ak", "sk"))
    try:
        auth._sign_request(req, "b", "k")
    except (RuntimeError, UnicodeEncodeError):
        pass  # what Python's own walk or encoding raises; never a crash or PanicException
    del req
    gc.collect()
    # Freed exactly once: ossauth held its own reference while Python code ran.
    assert SelfRemovingName.freed == ["'x-oss-meta-\\udcff'"]


@pytest.mark.parametrize("make", [
    lambda t: ossauth.RefreshingCredentialsProvider(lambda: None, timeout=t),
    lambda t: ossauth.RefreshingCredentialsProvider(lambda: None, refresh_interval=t),
    lambda t: ossauth.UriCredentialsProvider(uri="http://127.0.0.1:9/c", connect_timeout=t),
    lambda t: ossauth.UriCredentialsProvider(uri="http://127.0.0.1:9/c", read_timeout=t),
], ids=["timeout", "refresh_interval", "connect_timeout", "read_timeout"])
def test_durations_too_long_for_a_deadline_are_refused(make):
    # 1e19 s overflowed `Instant + Duration` (a PanicException through oss2's sign_url); at most
    # ten years is taken (a source's own timeout adds its connect and read timeouts: a year here).
    with pytest.raises(ValueError, match=r"is too large: at most 315360000 seconds \(ten years\)"):
        make(1e19)
    make(31536000)
