"""The memory scanner used by the zeroization tests sees a secret that is still held, and counts
none once the only copy has been overwritten: so a zero from it means something."""

import memscan


def _secret_file(tmp_path):
    secret = b"Zq-memscan-probe-7f3a91"  # the child reads it from a file: no literal in its code
    path = tmp_path / "secret"
    path.write_bytes(secret)
    return secret, path


def test_scanner_finds_a_secret_the_child_still_holds(tmp_path):
    secret, path = _secret_file(tmp_path)
    counts = memscan.secret_copies("data = open(%r, 'rb').read()\n" % str(path), [secret])
    assert counts[secret] >= 1


def test_scanner_counts_no_copy_once_the_child_overwrote_it(tmp_path):
    secret, path = _secret_file(tmp_path)
    script = (
        "import os\n"
        "fd = os.open(%r, os.O_RDONLY)\n"
        "data = bytearray(64)\n"
        "n = os.readv(fd, [data])\n"
        "os.close(fd)\n"
        "data[:] = bytes(64)\n"
    ) % str(path)
    assert memscan.secret_copies(script, [secret]) == {secret: 0}
