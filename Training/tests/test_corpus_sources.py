"""The corpus builder's package readers on tiny archives made here (offline): pinned PyPI sdists (sha256 and
licence checks), unpacked Debian packages (Go, Rust, TypeScript; licence from the copyright file), the pinned
held-out list, and near-duplicate removal that keeps copies of held-out files out of the training split.

    cd Training && python -m pytest -q tests
"""
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

TRAINING = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, TRAINING)

import build_corpus  # noqa: E402

MIT = "Permission is hereby granted, free of charge, to any person obtaining a copy of this software\n"
GPL = "GNU GENERAL PUBLIC LICENSE\nVersion 3\n"


def module(n, extra=""):
    lines = [f"def function_{n}_{k}(value):\n    total = value * {k} + {n}\n    return total\n\n" for k in range(12)]
    return "".join(lines) + extra


def make_sdist(path, name, version, license_text, license_field, files):
    top = f"{name}-{version}"
    with tarfile.open(path, "w:gz") as t:
        def add(rel, text):
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{rel}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        add("PKG-INFO", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\nLicense: {license_field}\n\n")
        add("LICENSE", license_text)
        for rel, text in files.items():
            add(rel, text)
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def test_sdists_debian_and_heldout(tmp_path):
    dl = tmp_path / "downloads"
    dl.mkdir()
    rows = []
    held_file = module(1)
    specs = [
        ("goodpkg", "MIT", MIT, {"src/goodpkg/__init__.py": module(2), "src/goodpkg/_vendor/six.py": module(3),
                                 "tests/test_a.py": module(4),
                                 # a lightly edited copy of the held-out module: a near-duplicate
                                 "src/goodpkg/copied.py": held_file.replace("return total", "return  total", 1)
                                 + "\n# local change\n"}),
        ("gplpkg", "GPL-3.0-or-later", GPL, {"gplpkg/__init__.py": module(5)}),
        ("heldpkg", "MIT", MIT, {"heldpkg/__init__.py": module(6)}),
    ]
    for name, field, text, files in specs:
        fn = f"{name}-1.0.tar.gz"
        sha = make_sdist(str(dl / fn), name, "1.0", text, field, files)
        meta, lic_files = build_corpus.sdist_license(str(dl / fn))
        rows.append([name, "1.0", fn, sha, meta or "unknown", ",".join(lic_files) or "none"])
    rows[2][3] = "0" * 64  # heldpkg: wrong sha256, must not be read
    pypi_tsv = tmp_path / "pypi.tsv"
    pypi_tsv.write_text("name\tversion\tfile\tsha256\tlicense\tlicense_files\n" +
                        "".join("\t".join(r) + "\n" for r in rows))
    assert rows[0][4] == "MIT" and rows[0][5] == "MIT"
    assert not build_corpus.pinned_license_ok(dict(zip(build_corpus.read_pypi_list(str(pypi_tsv))[1].keys(),
                                                        rows[1])))

    # an installed distribution: the held-out project
    site = tmp_path / "site"
    (site / "heldproj").mkdir(parents=True)
    (site / "heldproj" / "__init__.py").write_text(held_file)
    (site / "heldproj-1.0.dist-info").mkdir()
    (site / "heldproj-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: heldproj\n"
                                                              "License: MIT\n\n")
    (site / "heldproj-1.0.dist-info" / "RECORD").write_text("heldproj/__init__.py,,\n")

    deb = tmp_path / "debian"
    for pkg, lic, files in [
        ("golang-example-dev", "Expat", {"usr/share/gocode/src/example.org/x/x.go":
                                         "package x\n\nfunc Add(a, b int) int {\n\treturn a + b\n}\n"}),
        ("librust-example-dev", "MIT or Apache-2.0", {"usr/share/cargo/registry/example-1.0/src/lib.rs":
                                                      "pub fn add(a: i32, b: i32) -> i32 {\n    a + b\n}\n"}),
        ("node-example", "Expat", {"usr/share/nodejs/example/index.ts": "export const x: number = 1;\n",
                                   "usr/share/nodejs/example/index.d.ts": "export declare const x: number;\n",
                                   "usr/share/nodejs/example/index.js": "exports.x = 1;\n"}),
        ("golang-gpl-dev", "GPL-3+", {"usr/share/gocode/src/example.org/g/g.go": "package g\n"}),
    ]:
        doc = deb / pkg / "usr" / "share" / "doc" / pkg
        doc.mkdir(parents=True)
        (doc / "copyright").write_text(f"Files: *\nCopyright: someone\nLicense: {lic}\n")
        for rel, text in files.items():
            (deb / pkg / rel).parent.mkdir(parents=True, exist_ok=True)
            (deb / pkg / rel).write_text(text)
    debian_txt = tmp_path / "debian.txt"
    debian_txt.write_text("# packages\ngolang-example-dev\nlibrust-example-dev\nnode-example\ngolang-gpl-dev\n")
    heldout = tmp_path / "heldout.tsv"
    heldout.write_text("# lang\trepo\npython\tpypi/heldproj\n")

    out = tmp_path / "corpus"
    p = subprocess.run([sys.executable, "build_corpus.py", "--out", str(out), "--languages",
                        "python,go,rust,javascript,typescript", "--python-stdlib", str(tmp_path / "none"),
                        "--site-packages", str(site), "--pypi-list", str(pypi_tsv), "--pypi-downloads", str(dl),
                        "--node-modules", str(tmp_path / "none"), "--debian-list", str(debian_txt),
                        "--debian-dir", str(deb), "--heldout-list", str(heldout), "--heldout", ""],
                       cwd=TRAINING, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    recs = [json.loads(l) for l in open(out / "files.jsonl")]
    got = {(r["lang"], r["repo"], r["path"], r["split"]) for r in recs}
    assert got == {
        ("python", "pypi/heldproj", "heldproj/__init__.py", "heldout"),
        ("python", "pypi/goodpkg", "src/goodpkg/__init__.py", "train"),
        ("python", "pypi/goodpkg", "tests/test_a.py", "train"),
        ("go", "debian/golang-example-dev", "x.go", "train"),
        ("rust", "debian/librust-example-dev", "lib.rs", "train"),
        ("typescript", "debian/node-example", "index.ts", "train"),
        ("javascript", "debian/node-example", "index.js", "train"),
    }, got
    manifest = json.load(open(out / "manifest.json"))
    excluded = {e["repo"]: e["reason"] for e in manifest["excluded_sources"]}
    assert "pypi/gplpkg" in excluded and "pypi/heldpkg" in excluded and "debian/golang-gpl-dev" in excluded
    assert manifest["heldout"] == {"python": ["pypi/heldproj"]}
    assert manifest["dedup_removed"]["python"] == {"near_of_heldout": 1}
    src = {s["repo"]: s for s in manifest["sources"]}
    assert src["pypi/goodpkg"]["version"] == "1.0" and src["pypi/goodpkg"]["license"] == "MIT"
    assert src["debian/librust-example-dev"]["license"] == "apache-2.0+mit"
