"""Content credentials, piece by piece: every format signed and validated with the c2pa
library's reader, tampering detected, files made elsewhere read without error, the local
certificate chain shaped as C2PA asks, and the signing blob writer's two digests."""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID
from PIL import Image
from typer.testing import CliRunner

from reelforge.cli.main import app
from reelforge.domain.errors import ReelForgeError
from reelforge.storage.blobs import SPOOL_BYTES, FileBlobStore
from reelforge.storage.content_credentials import keys
from reelforge.storage.content_credentials.claims import Claim, Ingredient
from reelforge.storage.content_credentials.reading import read_bytes, read_file
from reelforge.storage.content_credentials.sealing import EMBEDDED, SIDECAR, Sealer
from reelforge.storage.content_credentials.setup import load_remote, open_sealer
from reelforge.storage.content_credentials.signers import LibrarySigner, LocalSigner
from reelforge.storage.content_credentials.writer import SealingWriter
from tests.media_helpers import make_tone, make_video

CLAIM = Claim(
    title="still", provider="fal", model="fal/flux-dev", mode="t2i", run_id="run_1", sandbox=True
)


@pytest.fixture(scope="module")
def material() -> keys.SigningMaterial:
    return keys.generate()


@pytest.fixture(scope="module")
def sealer(material: keys.SigningMaterial) -> Sealer:
    return Sealer(
        LibrarySigner(LocalSigner(material)), version="0.1.0", anchors_pem=material.anchors_pem
    )


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    picture = Image.new("RGB", (96, 64), (30, 90, 160))
    files = {}
    for ext, fmt in (("png", "PNG"), ("jpg", "JPEG"), ("webp", "WEBP")):
        files[ext] = folder / f"in.{ext}"
        picture.save(files[ext], fmt)
    files["mp4"] = make_video(folder / "in.mp4", seconds=0.5)
    files["wav"] = make_tone(folder / "in.wav", seconds=0.3)
    files["webm"] = make_video(folder / "in.webm", seconds=0.3, audio=False, codec="libvpx")
    return files


TYPES = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
    "mp4": "video/mp4",
    "wav": "audio/wav",
}


@pytest.mark.parametrize("ext", list(TYPES))
def test_each_format_is_signed_and_validates(
    ext: str, sealer: Sealer, media: dict[str, Path], tmp_path: Path
) -> None:
    src = media[ext]
    sealed = sealer.seal(CLAIM, TYPES[ext], src, tmp_path)
    assert sealed.status == EMBEDDED and sealed.path is not None
    signed = sealed.path.read_bytes()
    assert len(signed) > src.stat().st_size
    creds = read_bytes(signed, TYPES[ext], anchors_pem=sealer.anchors_pem)
    assert creds.state == "Trusted" and creds.embedded, creds.failures
    summary = creds.summary()
    assert summary["actions"][0]["action"] == "c2pa.created"
    assert summary["actions"][0]["digitalSourceType"].endswith("/trainedAlgorithmicMedia")
    assert summary["generation"]["model"] == "fal/flux-dev"
    assert summary["generation"]["sandbox"] is True
    assert summary["claim_generator"] == ["ReelForge"]
    # The same content signed from memory validates too.
    from_bytes = sealer.seal(CLAIM, TYPES[ext], src.read_bytes(), tmp_path)
    assert from_bytes.data is not None
    assert read_bytes(from_bytes.data, TYPES[ext], anchors_pem=sealer.anchors_pem).valid


@pytest.mark.parametrize("ext", ["png", "mp4"])
def test_a_tampered_file_fails_validation(
    ext: str, sealer: Sealer, media: dict[str, Path], tmp_path: Path
) -> None:
    sealed = sealer.seal(CLAIM, TYPES[ext], media[ext].read_bytes(), tmp_path)
    assert sealed.data is not None
    tampered = bytearray(sealed.data)
    tampered[-40] ^= 0xFF  # a byte of the picture, not of the manifest
    creds = read_bytes(bytes(tampered), TYPES[ext], anchors_pem=sealer.anchors_pem)
    assert creds.state == "Invalid"
    assert any("mismatch" in str(f["code"]) for f in creds.failures), creds.failures


def test_a_format_that_cannot_embed_gets_a_sidecar(
    sealer: Sealer, media: dict[str, Path], tmp_path: Path
) -> None:
    data = media["webm"].read_bytes()
    sealed = sealer.seal(CLAIM, "video/webm", data, tmp_path)
    assert sealed.status == SIDECAR and sealed.data is None and sealed.manifest
    ok = read_bytes(data, "video/webm", sidecar=sealed.manifest, anchors_pem=sealer.anchors_pem)
    assert ok.state == "Trusted" and not ok.embedded
    changed = data[:-10] + b"0123456789"
    bad = read_bytes(changed, "video/webm", sidecar=sealed.manifest, anchors_pem=sealer.anchors_pem)
    assert bad.state == "Invalid"


def test_files_made_elsewhere_are_read_without_error(
    sealer: Sealer, media: dict[str, Path], tmp_path: Path
) -> None:
    assert read_file(media["png"]).state is None  # a plain PNG: no manifest
    junk = tmp_path / "notes.bin"
    junk.write_bytes(b"not media at all" * 8)
    assert read_file(junk).state is None
    other = keys.generate("Elsewhere")
    theirs = Sealer(LibrarySigner(LocalSigner(other)), version="1")
    sealed = theirs.seal(CLAIM, "image/png", media["png"].read_bytes(), tmp_path)
    assert sealed.data is not None
    creds = read_bytes(sealed.data, "image/png", anchors_pem=sealer.anchors_pem)
    assert creds.state == "Valid"  # intact, but not signed by anyone trusted here
    assert [f["code"] for f in creds.failures] == ["signingCredential.untrusted"]


def test_parents_become_ingredients_with_their_manifests(
    sealer: Sealer, media: dict[str, Path], tmp_path: Path
) -> None:
    still = sealer.seal(CLAIM, "image/png", media["png"], tmp_path)
    assert still.path is not None
    edit = Claim(
        title="graded",
        provider="local",
        model="local/grade",
        ingredients=(
            Ingredient(still.path, "image/png", "still", "art_1"),
            Ingredient(media["jpg"], "image/jpeg", "overlay", "art_2"),
        ),
    )
    graded = sealer.seal(edit, "image/png", media["png"], tmp_path)
    assert graded.path is not None
    creds = read_file(graded.path, anchors_pem=sealer.anchors_pem)
    assert creds.state == "Trusted", creds.failures
    summary = creds.summary()
    assert [a["action"] for a in summary["actions"]] == ["c2pa.opened", "c2pa.edited"]
    assert summary["actions"][1]["digitalSourceType"].endswith(
        "/compositeWithTrainedAlgorithmicMedia"
    )
    assert [(i["relationship"], i["has_credentials"]) for i in summary["ingredients"]] == [
        ("parentOf", True),
        ("componentOf", False),
    ]
    assert len(creds.manifests) == 2


def test_the_local_chain_has_what_c2pa_asks(material: keys.SigningMaterial) -> None:
    leaf, root = x509.load_pem_x509_certificates(material.chain_pem)
    assert leaf.issuer == root.subject and leaf.subject != root.subject
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert ExtendedKeyUsageOID.EMAIL_PROTECTION in eku and keys.DOCUMENT_SIGNING in eku
    leaf.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert root.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    (anchor,) = x509.load_pem_x509_certificates(material.anchors_pem)
    assert anchor == root  # what readers here trust is the local root, not the leaf
    assert "PRIVATE" not in repr(material)


def test_local_keys_are_made_once_and_private(tmp_path: Path) -> None:
    first, made = keys.ensure_local(tmp_path / "c2pa")
    again, made_again = keys.ensure_local(tmp_path / "c2pa")
    assert made and not made_again and again.key_pem == first.key_pem
    for name in (keys.KEY_FILE, keys.CHAIN_FILE, keys.ROOT_FILE):
        assert os.stat(tmp_path / "c2pa" / name).st_mode & 0o777 == 0o600


def test_configured_chain_must_match_its_key(tmp_path: Path) -> None:
    a, b = keys.generate(), keys.generate()
    (tmp_path / "chain.pem").write_bytes(a.chain_pem)
    (tmp_path / "key.pem").write_bytes(b.key_pem)
    with pytest.raises(ReelForgeError, match="does not belong"):
        keys.load_configured(tmp_path / "chain.pem", tmp_path / "key.pem")
    (tmp_path / "key.pem").write_bytes(a.key_pem)
    sealer = open_sealer(
        folder=tmp_path / "local",
        version="1",
        cert_chain=tmp_path / "chain.pem",
        private_key=tmp_path / "key.pem",
    )
    assert not (tmp_path / "local").exists()  # the operator's chain: nothing generated
    assert sealer.signer.remote.certificate_chain == a.chain_pem.decode()
    with pytest.raises(ReelForgeError, match="both"):
        open_sealer(folder=tmp_path / "l", version="1", cert_chain=tmp_path / "chain.pem")


class _CountingSigner:
    """A stand-in for a signing service: the key lives 'elsewhere'."""

    calls = 0

    def __init__(self) -> None:
        self._inner = LocalSigner(_REMOTE)
        self.alg = self._inner.alg
        self.certificate_chain = self._inner.certificate_chain
        self.timestamp_url = None

    def sign(self, data: bytes) -> bytes:
        type(self).calls += 1
        return self._inner.sign(data)


_REMOTE = keys.generate("Remote")


def remote_signer() -> _CountingSigner:
    return _CountingSigner()


def test_a_remote_signer_signs_through_the_protocol(media: dict[str, Path], tmp_path: Path) -> None:
    signer = load_remote(f"{__name__}:remote_signer")
    sealer = open_sealer(folder=tmp_path / "c2pa", version="1", remote=f"{__name__}:remote_signer")
    before = _CountingSigner.calls
    sealed = sealer.seal(CLAIM, "image/png", media["png"].read_bytes(), tmp_path)
    assert sealed.data is not None and _CountingSigner.calls == before + 1
    creds = read_bytes(sealed.data, "image/png", anchors_pem=_REMOTE.anchors_pem)
    assert creds.state == "Trusted"
    assert isinstance(signer, _CountingSigner)
    with pytest.raises(ReelForgeError, match="cannot be loaded"):
        load_remote("reelforge.nothing_here:factory")


@pytest.mark.parametrize("size", [50_000, SPOOL_BYTES + 200_000])
async def test_the_sealing_writer_keeps_both_digests(
    size: int, sealer: Sealer, tmp_path: Path
) -> None:
    buf = io.BytesIO()
    side = int((size / 3) ** 0.5) + 1
    Image.frombytes("RGB", (side, side), os.urandom(side * side * 3)).save(buf, "PNG")
    data = buf.getvalue()
    store = FileBlobStore(tmp_path / "blobs")
    writer = SealingWriter(store, store.tmp_dir, sealer, CLAIM)
    for i in range(0, len(data), 64 * 1024):
        writer.write(data[i : i + 64 * 1024])
    info = await writer.commit()
    stored = (await store.local_path(info.sha256)).read_bytes()
    assert info.credentials == EMBEDDED
    assert info.content_sha256 == hashlib.sha256(data).hexdigest() != info.sha256
    assert info.sha256 == hashlib.sha256(stored).hexdigest() and info.size == len(stored)
    assert read_bytes(stored, "image/png", anchors_pem=sealer.anchors_pem).state == "Trusted"
    assert list(store.tmp_dir.iterdir()) == []  # no temporary file left behind


def test_cli_verify_prints_credentials_and_fails_on_tampering(
    sealer: Sealer, media: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELFORGE_HOME", str(tmp_path / "home"))
    sealed = sealer.seal(CLAIM, "image/png", media["png"].read_bytes(), tmp_path)
    assert sealed.data is not None
    ours = tmp_path / "ours.png"
    ours.write_bytes(sealed.data)
    result = CliRunner().invoke(app, ["artifacts", "verify", str(ours)])
    assert result.exit_code == 0, result.output
    assert "Valid" in result.output and "c2pa.created" in result.output
    assert "sandbox" in result.output and "fal/flux-dev" in result.output
    result = CliRunner().invoke(app, ["artifacts", "verify", str(ours), "--json"])
    assert json.loads(result.output)["generation"]["provider"] == "fal"
    bad = tmp_path / "bad.png"
    tampered = bytearray(sealed.data)
    tampered[-40] ^= 0xFF
    bad.write_bytes(bytes(tampered))
    result = CliRunner().invoke(app, ["artifacts", "verify", str(bad)])
    assert result.exit_code == 1 and "Invalid" in result.output
    result = CliRunner().invoke(app, ["artifacts", "verify", str(media["png"])])
    assert result.exit_code == 0 and "no content credentials" in result.output
    result = CliRunner().invoke(app, ["artifacts", "verify", str(tmp_path / "missing.png")])
    assert result.exit_code != 0
