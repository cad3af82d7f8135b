"""Exit-stress scenario: a Rust credential source (credentials URI or ECS metadata) against a
slow local service, busy threads, and the interpreter exiting while refreshes are in flight.

    python rust_source.py --source uri|ecs [--seed N] [--finalizers] [--failing]
"""

import _common
import ossauth

args = _common.setup(lambda p: p.add_argument("--source", choices=("uri", "ecs"), default="uri"))

if args.source == "uri":
    url = _common.credentials_uri_server()

    def make_provider():
        return ossauth.UriCredentialsProvider(url + "/credentials")

else:
    url = _common.imds_server()

    def make_provider():
        return ossauth.EcsRamRoleCredentialsProvider(_common.ROLE_NAME, endpoint=url)


_common.run(make_provider)
# Falls off the end here: refresh threads (Rust) are still fetching or about to finish.
