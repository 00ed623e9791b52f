"""Credential endpoints of fakeaws.FakeAWS: the keys it accepts, STS, IMDSv2 and ECS/EKS.

* The key store: static keys (`add_key`) and the temporary keys (``ASIA...`` + session token)
  handed out by IMDS, ECS, EKS and STS, accepted by CloudWatch until they expire
  (``credential_ttl``); IMDS/ECS/EKS keep serving a key until less than half its lifetime is
  left, STS issues a new key per call.
* STS AssumeRoleWithWebIdentity (unsigned, Query protocol), recorded as `StsCall`.
* EC2 IMDSv2 under ``/latest/``: token ``PUT``, token-protected ``GET`` (tokenless -> 401
  unless ``imds_v1``), identity document, IAM role credentials and instance tags.
* ECS container credentials ``/v2/credentials/<id>``, EKS Pod Identity ``/v1/credentials`` and
  ECS task metadata v4 under ``/v4/<id>``.

`CredentialsMixin` holds the FakeAWS methods for this.
"""

import base64
import dataclasses
import json
import secrets
import time
import urllib.parse
import uuid
from xml.sax.saxutils import escape

from fakeaws_proto import (ACCOUNT_ID, STS_VERSION, STS_XMLNS, AWSError, _iso, _Key, _random_id,
                           _random_secret, _random_token, check_model, operation_model,
                           query_params)


@dataclasses.dataclass(frozen=True)
class StsCall:
    """One successful AssumeRoleWithWebIdentity call."""

    role_arn: str
    session_name: str
    web_identity_token: str
    duration_seconds: int
    access_key: str


class CredentialsMixin:
    """Keys, STS, IMDS and ECS/EKS endpoints of FakeAWS (mixed into it; uses its _lock, _send,
    _keys, _current, _imds_tokens, _sts_calls, region, credential_ttl and the imds_*, ecs_*,
    role_arn settings)."""

    # ---- keys

    def add_key(self, access_key, secret_key, token=None, expires=None, source="static"):
        """Makes CloudWatch accept a key pair (token: required session token; expires: epoch)."""
        with self._lock:
            self._keys[access_key] = _Key(access_key, secret_key, token, expires, source)

    def static_key(self):
        """(access key, secret key) of the first static key."""
        with self._lock:
            for key in self._keys.values():
                if key.source == "static":
                    return key.access_key, key.secret_key
        return None

    def secrets(self):
        """Every secret key and session token the fake knows (to check none is logged)."""
        with self._lock:
            return [x for k in self._keys.values() for x in (k.secret_key, k.token) if x]

    def key_source(self, access_key):
        """static, imds, ecs, eks or sts for a known access key; None if unknown."""
        with self._lock:
            key = self._keys.get(access_key)
            return key.source if key else None

    def expire_credentials(self, source=None):
        """Expires every issued key of source (imds/ecs/eks/sts; None = all issued keys), so
        CloudWatch answers ExpiredToken and the next fetch hands out a new key."""
        now = time.time()
        with self._lock:
            for key in self._keys.values():
                if key.source != "static" and source in (None, key.source):
                    key.expires = now - 1
            for src in list(self._current):
                if source in (None, src):
                    del self._current[src]

    def revoke_key(self, access_key):
        """Forgets a key: CloudWatch then answers InvalidClientTokenId."""
        with self._lock:
            self._keys.pop(access_key, None)

    def _issue(self, source, ttl):
        """A new temporary key (ASIA... + token) from source, valid ttl s; caller holds _lock."""
        key = _Key(_random_id("ASIA"), _random_secret(), _random_token(), time.time() + ttl,
                   source)
        self._keys[key.access_key] = key
        return key

    def _serve_key(self, source):
        """The key IMDS/ECS/EKS hand out: renewed when less than half its lifetime is left."""
        with self._lock:
            key = self._current.get(source)
            if key is None or key.expires - time.time() < self.credential_ttl / 2:
                key = self._current[source] = self._issue(source, self.credential_ttl)
            return key

    def sts_calls(self):
        """The successful AssumeRoleWithWebIdentity calls (StsCall), oldest first."""
        with self._lock:
            return list(self._sts_calls)

    # ---- STS

    def _sts(self, call):
        if call.decode_error:
            raise call.decode_error
        form = call.form()
        if form.get("Version") != STS_VERSION:
            raise AWSError(400, "InvalidParameterValue", "Version must be %s" % STS_VERSION)
        op = operation_model("sts", "AssumeRoleWithWebIdentity")
        params = query_params([p for p in call.pairs if p[0] not in ("Action", "Version")],
                              op.input_shape)
        check_model(params, op.input_shape)
        token = params["WebIdentityToken"]
        if self.web_identity_tokens is not None and token not in self.web_identity_tokens:
            raise AWSError(400, "InvalidIdentityToken", "Token is not valid (fake)",
                           outcome="sts_rejected")
        duration = params.get("DurationSeconds", 3600)
        with self._lock:
            key = self._issue("sts", min(duration, self.credential_ttl))
            self._sts_calls.append(StsCall(params["RoleArn"], params["RoleSessionName"], token,
                                           duration, key.access_key))
        self._send(call, 200, self._sts_body(call, params, key), "text/xml", "sts_ok")

    @staticmethod
    def _sts_body(call, params, key):
        role = params["RoleArn"].rsplit("/", 1)[-1]
        session = params["RoleSessionName"]
        return (
            '<AssumeRoleWithWebIdentityResponse xmlns="%s"><AssumeRoleWithWebIdentityResult>'
            "<SubjectFromWebIdentityToken>system:serviceaccount:default:hostwatch"
            "</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience>"
            "<AssumedRoleUser><Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>"
            "<AssumedRoleId>AROAFAKEROLEID0000001:%s</AssumedRoleId></AssumedRoleUser>"
            "<Credentials><SessionToken>%s</SessionToken><SecretAccessKey>%s</SecretAccessKey>"
            "<Expiration>%s</Expiration><AccessKeyId>%s</AccessKeyId></Credentials>"
            "<Provider>oidc.fake.local</Provider></AssumeRoleWithWebIdentityResult>"
            "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata>"
            "</AssumeRoleWithWebIdentityResponse>\n"
            % (STS_XMLNS, ACCOUNT_ID, escape(role), escape(session), escape(session),
               key.token, escape(key.secret_key), _iso(key.expires), key.access_key,
               call.request_id)).encode()

    # ---- IMDS

    def _imds(self, call):
        h = call.handler
        if call.method == "PUT":
            return self._imds_token(call)
        if call.method != "GET":
            return self._send(call, 405, b"", "text/plain", "imds_bad_method")
        token = h.headers.get("X-aws-ec2-metadata-token")
        with self._lock:
            expiry = self._imds_tokens.get(token) if token is not None else None
        if (token is None and not self.imds_v1) or \
                (token is not None and (expiry is None or expiry < time.time())):
            return self._send(call, 401, b"", "text/plain", "imds_unauthorized")
        value = self._imds_value(call.path)
        if value is None:
            return self._send(call, 404, b"Not Found\n", "text/plain", "imds_not_found")
        ctype = "application/json" if value.startswith("{") else "text/plain"
        self._send(call, 200, value.encode(), ctype, "imds_ok")

    def _imds_token(self, call):
        h = call.handler
        if call.path != "/latest/api/token":
            return self._send(call, 405, b"", "text/plain", "imds_bad_method")
        if h.headers.get("X-Forwarded-For") is not None:
            return self._send(call, 403, b"", "text/plain", "imds_forbidden")
        ttl = (h.headers.get("X-aws-ec2-metadata-token-ttl-seconds") or "").strip()
        if not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
            return self._send(call, 400, b"", "text/plain", "imds_bad_request")
        token = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
        with self._lock:
            self._imds_tokens[token] = time.time() + int(ttl)
        self._send(call, 200, token.encode(), "text/plain", "imds_token",
                   [("X-aws-ec2-metadata-token-ttl-seconds", ttl)])

    def _imds_value(self, path):
        """Text served at an IMDS path, None for 404."""
        inst = self.instance
        simple = {
            "/latest/meta-data/instance-id": inst["instanceId"],
            "/latest/meta-data/ami-id": inst["imageId"],
            "/latest/meta-data/instance-type": inst["instanceType"],
            "/latest/meta-data/local-ipv4": inst["privateIp"],
            "/latest/meta-data/placement/region": inst["region"],
            "/latest/meta-data/placement/availability-zone": inst["availabilityZone"],
            "/latest/dynamic/instance-identity/document": json.dumps(inst, indent=2),
        }
        if path in simple:
            return simple[path]
        if path == "/latest/meta-data/":
            return "ami-id\ninstance-id\ninstance-type\nlocal-ipv4\nplacement/\niam/\n" + \
                ("tags/\n" if self.imds_tags is not None else "")
        if path.startswith("/latest/meta-data/iam/"):
            return self._imds_iam(path[len("/latest/meta-data/iam/"):])
        if path.startswith("/latest/meta-data/tags/instance/") and self.imds_tags is not None:
            name = urllib.parse.unquote(path[len("/latest/meta-data/tags/instance/"):])
            return "\n".join(self.imds_tags) if name == "" else self.imds_tags.get(name)
        return None

    def _imds_iam(self, rest):
        if self.imds_role is None:
            return None
        if rest == "info":
            return json.dumps({"Code": "Success", "LastUpdated": _iso(time.time()),
                               "InstanceProfileArn": "arn:aws:iam::%s:instance-profile/%s"
                               % (ACCOUNT_ID, self.imds_role),
                               "InstanceProfileId": "AIPAFAKEPROFILE000001"})
        if rest == "security-credentials/":
            return self.imds_role
        if rest == "security-credentials/" + self.imds_role:
            key = self._serve_key("imds")
            return json.dumps({"Code": "Success", "LastUpdated": _iso(time.time()),
                               "Type": "AWS-HMAC", "AccessKeyId": key.access_key,
                               "SecretAccessKey": key.secret_key, "Token": key.token,
                               "Expiration": _iso(key.expires)}, indent=2)
        return None

    def _default_instance(self, overrides):
        doc = {"accountId": ACCOUNT_ID, "architecture": "x86_64",
               "availabilityZone": self.region + "a", "billingProducts": None,
               "devpayProductCodes": None, "marketplaceProductCodes": None,
               "imageId": "ami-0123456789abcdef0", "instanceId": "i-0123456789abcdef0",
               "instanceType": "t3.micro", "kernelId": None, "pendingTime": _iso(time.time()),
               "privateIp": "10.0.0.10", "ramdiskId": None, "region": self.region,
               "version": "2017-09-30"}
        doc.update(overrides)
        return doc

    # ---- ECS / EKS

    def _container_credentials(self, call):
        h = call.handler
        eks = call.path == "/v1/credentials"
        if call.method != "GET":
            return self._send(call, 405, b"", "text/plain", "ecs_bad_method")
        if (eks or self.ecs_auth_token is not None) and \
                h.headers.get("Authorization") != self.ecs_auth_token:
            raise AWSError(401, "AccessDenied",
                           "Authorization token missing or wrong", outcome="ecs_unauthorized")
        if not eks and call.path != self.ecs_credentials_relative_uri:
            raise AWSError(400, "InvalidIdInRequest", "Credentials not found",
                           outcome="ecs_not_found")
        key = self._serve_key("eks" if eks else "ecs")
        doc = {"AccessKeyId": key.access_key, "SecretAccessKey": key.secret_key,
               "Token": key.token, "Expiration": _iso(key.expires)}
        if eks:
            doc["AccountId"] = ACCOUNT_ID
        else:
            doc["RoleArn"] = self.role_arn
        self._send(call, 200, json.dumps(doc).encode(), "application/json", "ecs_ok")

    def _task_metadata(self, call):
        base = "/v4/" + self.ecs_metadata_id
        docs = {base: self.ecs_task["Containers"][0], base + "/task": self.ecs_task,
                base + "/stats": {}, base + "/task/stats": {}}
        doc = docs.get(call.path.rstrip("/") or "/")
        if doc is None or call.method != "GET":
            return self._not_found(call)
        self._send(call, 200, json.dumps(doc, indent=2).encode(), "application/json",
                   "ecs_metadata")

    def _default_task(self, overrides):
        arn = "arn:aws:ecs:%s:%s:" % (self.region, ACCOUNT_ID)
        cluster = arn + "cluster/hostwatch-test"
        task_arn = arn + "task/hostwatch-test/" + self.ecs_metadata_id.split("-")[0]
        container = {
            "DockerId": self.ecs_metadata_id, "Name": "hostwatch",
            "DockerName": "ecs-hostwatch-1-hostwatch", "Image": "hostwatch:latest",
            "ImageID": "sha256:" + "0" * 64,
            "Labels": {"com.amazonaws.ecs.cluster": cluster,
                       "com.amazonaws.ecs.container-name": "hostwatch",
                       "com.amazonaws.ecs.task-arn": task_arn,
                       "com.amazonaws.ecs.task-definition-family": "hostwatch",
                       "com.amazonaws.ecs.task-definition-version": "1"},
            "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
            "Limits": {"CPU": 256, "Memory": 512}, "CreatedAt": _iso(time.time()),
            "StartedAt": _iso(time.time()), "Type": "NORMAL",
            "ContainerARN": arn + "container/hostwatch-test/" + str(uuid.uuid4()),
            "Networks": [{"NetworkMode": "awsvpc", "IPv4Addresses": ["10.0.0.20"]}]}
        task = {"Cluster": cluster, "TaskARN": task_arn, "Family": "hostwatch", "Revision": "1",
                "DesiredStatus": "RUNNING", "KnownStatus": "RUNNING",
                "Limits": {"CPU": 0.25, "Memory": 512}, "PullStartedAt": _iso(time.time()),
                "AvailabilityZone": self.region + "a", "LaunchType": "FARGATE",
                "Containers": [container]}
        task.update(overrides)
        return task
