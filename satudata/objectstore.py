"""Object-store access through the S3 API (``minio`` SDK), the one code path for all storage."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from pathlib import Path

from minio import Minio
from minio.error import S3Error

from satudata.settings import Settings


def client(settings: Settings) -> Minio:
    return Minio(
        settings.s3_endpoint,
        access_key=settings.s3_access_key,
        secret_key=settings.s3_secret_key,
        secure=settings.s3_secure,
        region=settings.s3_region,
    )


def ensure_buckets(settings: Settings) -> None:
    """Create the landing, lake and open buckets if missing (idempotent)."""
    mc = client(settings)
    for bucket in (settings.bucket_landing, settings.bucket_lake, settings.bucket_open):
        if not mc.bucket_exists(bucket):
            mc.make_bucket(bucket)


def list_keys(settings: Settings, bucket: str, prefix: str) -> Iterator[tuple[str, int]]:
    """Yield (key, size) under a prefix, recursively, in key order."""
    for obj in client(settings).list_objects(bucket, prefix=prefix, recursive=True):
        if not obj.is_dir:
            yield obj.object_name, obj.size


def download(settings: Settings, bucket: str, key: str, dest: Path) -> str:
    """Stream an object to a local working file and return its sha256 (one pass)."""
    digest = hashlib.sha256()
    response = client(settings).get_object(bucket, key)
    try:
        with open(dest, "wb") as out:
            for chunk in response.stream(1 << 20):
                digest.update(chunk)
                out.write(chunk)
    finally:
        response.close()
        response.release_conn()
    return digest.hexdigest()


def upload_file(settings: Settings, bucket: str, key: str, path: Path, content_type: str) -> None:
    """Put a local file as one object; a single PUT is atomic for readers."""
    client(settings).fput_object(bucket, key, str(path), content_type=content_type)


def put_bytes(settings: Settings, bucket: str, key: str, data: bytes, content_type: str) -> None:
    client(settings).put_object(bucket, key, io.BytesIO(data), len(data), content_type=content_type)


def put_json(settings: Settings, bucket: str, key: str, value: object) -> None:
    data = json.dumps(value, ensure_ascii=False, indent=1, default=str).encode()
    put_bytes(settings, bucket, key, data, "application/json")


def get_json(settings: Settings, bucket: str, key: str) -> object | None:
    try:
        response = client(settings).get_object(bucket, key)
    except S3Error as exc:
        if exc.code == "NoSuchKey":
            return None
        raise
    try:
        return json.loads(response.read())
    finally:
        response.close()
        response.release_conn()


def remove_prefix(settings: Settings, bucket: str, prefix: str) -> int:
    """Delete every object under a prefix (lake housekeeping; never used on landing)."""
    mc = client(settings)
    keys = [key for key, _ in list_keys(settings, bucket, prefix)]
    for key in keys:
        mc.remove_object(bucket, key)
    return len(keys)
