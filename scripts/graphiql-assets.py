"""Fetches the files Strawberry's GraphiQL page loads from a CDN, so that the gateway can serve
them itself: GraphiQL then works without internet access and without trusting a third-party CDN.

The page names each file with its version and a Subresource Integrity hash; this script reads
those from the installed Strawberry, takes each file from its npm package (`npm pack`), and keeps
it only if its hash is the one the page expects. Output: .graphiql/<package>@<version>/<path>.

    python scripts/graphiql-assets.py [--optional]

With --optional, a missing npm is reported and the script exits 0 (GraphiQL then uses the CDN).
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from kafka_graphql.graphql.graphiql import cdn_assets

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / ".graphiql"


def main() -> int:
    optional = "--optional" in sys.argv
    npm = shutil.which("npm")
    if npm is None:
        print("graphiql-assets: npm not found; GraphiQL will load its files from the CDN")
        return 0 if optional else 1
    assets = cdn_assets()
    if not assets:
        print("graphiql-assets: no CDN files found in Strawberry's GraphiQL page")
        return 1
    missing = [a for a in assets if not (TARGET / f"{a[0]}@{a[1]}" / a[2]).exists()]
    if not missing:
        return 0
    with tempfile.TemporaryDirectory() as scratch:
        for package, version, path, digest in missing:
            tarball = (
                subprocess.run(  # noqa: S603 - fixed program, names from Strawberry's page
                    [
                        npm,
                        "pack",
                        f"{package}@{version}",
                        "--silent",
                        "--pack-destination",
                        scratch,
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                .stdout.strip()
                .splitlines()[-1]
            )
            with tarfile.open(Path(scratch) / tarball) as archive:
                member = archive.extractfile(f"package/{path}")
                if member is None:
                    print(f"graphiql-assets: {package}@{version} has no {path}")
                    return 1
                content = member.read()
            actual = base64.b64encode(hashlib.sha384(content).digest()).decode()
            if actual != digest:
                print(f"graphiql-assets: {package}@{version}/{path} does not match its hash")
                return 1
            destination = TARGET / f"{package}@{version}" / path
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(content)
    print(f"graphiql-assets: {len(missing)} GraphiQL files in {TARGET.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
