#!/usr/bin/env python3
"""Fetch the package sources that build_corpus.py reads, by name, from the two registries the project uses.

  pin-pypi  corpus_sources/pypi-names.txt -> corpus_sources/pypi.tsv: for each name, the newest source
            distribution (sdist) the index serves, downloaded into the cache, its sha256, and the licence read from
            the archive (PKG-INFO, then the LICENSE/COPYING files). Names without an sdist are reported and left out.
  pypi      downloads every sdist pinned in corpus_sources/pypi.tsv (name, version, file, sha256) into
            work/downloads/pypi/ and checks its sha256; rows whose licence as pinned is not permissive are skipped
            (build_corpus.py lists them as excluded).
  debian    downloads the Debian packages listed in corpus_sources/debian.txt (apt-get download; run
            `apt-get update` first) into work/downloads/debian/ and unpacks each with dpkg-deb -x into
            work/debian/NAME/ (nothing is installed, so no dependency is pulled in). build_corpus.py reads their Go,
            Rust, JavaScript and TypeScript files and their copyright files there.

Only pip's own client is used for PyPI (its index settings and certificates apply), and only to find an archive
by name and download it: nothing is built or installed, so no build backend is needed.
"""
import argparse
import concurrent.futures
import hashlib
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.join(HERE, "corpus_sources")
sys.path.insert(0, HERE)

import build_corpus  # noqa: E402

PYPI_COLUMNS = ["name", "version", "file", "sha256", "license", "license_files"]


def read_names(path):
    names = []
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        if line:
            names.append(line)
    return names


def read_pypi_list(path):
    return build_corpus.read_pypi_list(path)


class Index:
    """pip's package finder and HTTP session, configured as `pip download --no-binary :all:` would be."""

    def __init__(self):
        from pip._internal.commands import create_command
        self.cmd = create_command("download")
        self.options, _ = self.cmd.parse_args(["--no-deps", "--no-binary", ":all:", "-d", os.devnull, "pip"])
        self.ctx = self.cmd.main_context()
        self.ctx.__enter__()
        self.session = self.cmd.get_default_session(self.options)
        self.finder = self.cmd._build_package_finder(options=self.options, session=self.session,
                                                     target_python=None, ignore_requires_python=True)

    def best_sdist(self, name):
        c = self.finder.find_best_candidate(name).best_candidate
        return (str(c.version), c.link) if c else (None, None)

    def sdist(self, name, version, filename):
        for c in self.finder.find_all_candidates(name):
            if str(c.version) == version and c.link.filename == filename:
                return c.link
        return None

    def download(self, link, dest, sha256=None):
        h = hashlib.sha256()
        tmp = dest + ".part"
        with self.session.get(link.url, stream=True) as resp:
            resp.raise_for_status()
            with open(tmp, "wb") as f:
                for chunk in resp.iter_content(1 << 20):
                    h.update(chunk)
                    f.write(chunk)
        digest = h.hexdigest()
        expected = sha256 or (link.hash if link.hash_name == "sha256" else None)
        if expected and digest != expected:
            os.remove(tmp)
            raise ValueError(f"sha256 mismatch for {link.filename}: {digest} != {expected}")
        os.replace(tmp, dest)
        return digest


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def pin_pypi(args):
    names = read_names(args.names)
    os.makedirs(args.dir, exist_ok=True)
    index = Index()
    done = {r["name"]: r for r in read_pypi_list(args.out)} if os.path.exists(args.out) and not args.refresh else {}

    def one(name):
        if name in done:
            return done[name], None
        version, link = index.best_sdist(name)
        if not link:
            return None, f"{name}: no source distribution"
        dest = os.path.join(args.dir, link.filename)
        if not os.path.exists(dest):
            index.download(link, dest)
        digest = sha256_file(dest)
        meta_lic, file_lics = build_corpus.sdist_license(dest)
        return {"name": name, "version": version, "file": link.filename, "sha256": digest,
                "license": meta_lic or "unknown", "license_files": ",".join(file_lics) or "none"}, None

    rows, problems = [], []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        for i, (name, fut) in enumerate([(n, ex.submit(one, n)) for n in names]):
            try:
                row, problem = fut.result()
            except Exception as e:  # noqa: BLE001 - one bad package must not stop the others
                row, problem = None, f"{name}: {type(e).__name__}: {e}"
            if row:
                rows.append(row)
            if problem:
                problems.append(problem)
                print(problem, file=sys.stderr)
            if (i + 1) % 50 == 0:
                print(f"  {i + 1}/{len(names)}", file=sys.stderr)
    write_pypi_list(args.out, rows)
    print(f"{len(rows)} pinned in {args.out}; {len(problems)} left out", file=sys.stderr)


def write_pypi_list(path, rows):
    with open(path + ".tmp", "w", encoding="utf-8") as f:
        f.write("\t".join(PYPI_COLUMNS) + "\n")
        for r in sorted(rows, key=lambda r: r["name"]):
            f.write("\t".join(r[c] for c in PYPI_COLUMNS) + "\n")
    os.replace(path + ".tmp", path)


def fetch_pypi(args):
    rows = read_pypi_list(args.list)
    os.makedirs(args.dir, exist_ok=True)
    index = Index()

    def one(r):
        if not build_corpus.pinned_license_ok(r):
            return "skipped (licence as pinned)"
        dest = os.path.join(args.dir, r["file"])
        if os.path.exists(dest) and sha256_file(dest) == r["sha256"]:
            return "cached"
        link = index.sdist(r["name"], r["version"], r["file"])
        if link is None:
            raise LookupError(f"{r['name']}=={r['version']} ({r['file']}) not found on the index")
        index.download(link, dest, r["sha256"])
        return "downloaded"

    counts = {}
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as ex:
        for r, fut in [(r, ex.submit(one, r)) for r in rows]:
            try:
                status = fut.result()
            except Exception as e:  # noqa: BLE001
                failed += 1
                status = "failed"
                print(f"{r['name']}: {type(e).__name__}: {e}", file=sys.stderr)
            counts[status] = counts.get(status, 0) + 1
    print(f"{len(rows)} pinned sdists: {counts}", file=sys.stderr)
    if failed:
        sys.exit(1)


def fetch_debian(args):
    """apt-get download each listed package (apt checks it against the archive's signed index), then unpack it with
    dpkg-deb -x into DIR/NAME/. Nothing is installed and no dependency is pulled in: only the package's own files
    are read. Packages already unpacked at the same version are kept."""
    pkgs = read_names(args.list)
    debs = os.path.join(args.downloads, "debian")
    os.makedirs(debs, exist_ok=True)
    os.makedirs(args.dir, exist_ok=True)
    have = {f.split("_", 1)[0]: f for f in os.listdir(debs) if f.endswith(".deb")}
    missing = [p for p in pkgs if p not in have]
    failed = []
    for i in range(0, len(missing), 200):
        chunk = missing[i:i + 200]
        r = subprocess.run(["apt-get", "download"] + chunk, cwd=debs)
        if r.returncode != 0:  # retry one by one to name the package that failed
            for p in chunk:
                if subprocess.run(["apt-get", "download", p], cwd=debs, capture_output=True).returncode != 0:
                    failed.append(p)
    have = {f.split("_", 1)[0]: f for f in os.listdir(debs) if f.endswith(".deb")}
    versions = {}
    for p in pkgs:
        if p not in have:
            continue
        deb = have[p]
        versions[p] = deb
        dest = os.path.join(args.dir, p)
        stamp = os.path.join(dest, ".deb")
        if os.path.exists(stamp) and open(stamp).read() == deb:
            continue
        if os.path.exists(dest):
            subprocess.run(["rm", "-rf", "--", dest], check=True)
        os.makedirs(dest)
        subprocess.run(["dpkg-deb", "-x", os.path.join(debs, deb), dest], check=True)
        with open(stamp, "w") as f:
            f.write(deb)
    print(f"{len(versions)} of {len(pkgs)} Debian packages unpacked under {args.dir}", file=sys.stderr)
    if failed:
        print("not downloadable: " + " ".join(failed), file=sys.stderr)
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="what", required=True)
    p = sub.add_parser("pin-pypi", help="resolve names to the newest sdist; write the pinned list")
    p.add_argument("--names", default=os.path.join(SOURCES, "pypi-names.txt"))
    p.add_argument("--out", default=os.path.join(SOURCES, "pypi.tsv"))
    p.add_argument("--dir", default=os.path.join(HERE, "work", "downloads", "pypi"))
    p.add_argument("--refresh", action="store_true", help="re-resolve names already pinned in --out")
    p.add_argument("--jobs", type=int, default=8)
    p.set_defaults(fn=pin_pypi)
    p = sub.add_parser("pypi", help="download the pinned sdists and check their sha256")
    p.add_argument("--list", default=os.path.join(SOURCES, "pypi.tsv"))
    p.add_argument("--dir", default=os.path.join(HERE, "work", "downloads", "pypi"))
    p.add_argument("--jobs", type=int, default=8)
    p.set_defaults(fn=fetch_pypi)
    p = sub.add_parser("debian", help="download the listed Debian packages and unpack them (no installation)")
    p.add_argument("--list", default=os.path.join(SOURCES, "debian.txt"))
    p.add_argument("--downloads", default=os.path.join(HERE, "work", "downloads"))
    p.add_argument("--dir", default=os.path.join(HERE, "work", "debian"))
    p.set_defaults(fn=fetch_debian)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
