"""The Kinesis endpoint in CBOR (application/x-amz-cbor-1.1), as the Java
SDKs speak it, for test/t/173_endpoint_cbor.pl: requests are signed with the
SigV4 signer of the AWS CLI's botocore, encoded and decoded here (no CBOR
library in Debian's Python).  It runs one scenario and prints its results as
JSON (bytes in base64).

    python3 client.py <endpoint> <access key id> <secret> <stream>
"""
import base64
import json
import struct
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, '/usr/lib/python3/dist-packages/awscli')
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402


class Tag:
    def __init__(self, tag, value):
        self.tag, self.value = tag, value


def head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for size, code, fmt in ((1, 24, '>B'), (2, 25, '>H'), (4, 26, '>I'), (8, 27, '>Q')):
        if n < 1 << (8 * size):
            return bytes([major << 5 | code]) + struct.pack(fmt, n)
    raise ValueError(n)


def encode(v):
    if isinstance(v, Tag):
        return head(6, v.tag) + encode(v.value)
    if isinstance(v, bool):
        return b'\xf5' if v else b'\xf4'
    if isinstance(v, int):
        return head(0, v) if v >= 0 else head(1, -1 - v)
    if isinstance(v, float):
        return b'\xfb' + struct.pack('>d', v)
    if isinstance(v, bytes):
        return head(2, len(v)) + v
    if isinstance(v, str):
        b = v.encode()
        return head(3, len(b)) + b
    if isinstance(v, list):
        return head(4, len(v)) + b''.join(encode(x) for x in v)
    if isinstance(v, dict):
        return head(5, len(v)) + b''.join(encode(k) + encode(x) for k, x in v.items())
    raise ValueError(v)


def decode(data, pos=0):
    b = data[pos]
    major, info = b >> 5, b & 31
    pos += 1
    if info < 24:
        n = info
    elif info in (24, 25, 26, 27):
        size = 1 << (info - 24)
        n = int.from_bytes(data[pos:pos + size], 'big')
        pos += size
    elif info == 31:
        n = None
    else:
        raise ValueError('bad header')
    if major == 0:
        return n, pos
    if major == 1:
        return -1 - n, pos
    if major in (2, 3):
        raw = data[pos:pos + n]
        return (raw if major == 2 else raw.decode()), pos + n
    if major in (4, 5):
        items = []
        while (n is None and data[pos] != 0xff) or (n is not None and len(items) < n * (2 if major == 5 else 1)):
            x, pos = decode(data, pos)
            items.append(x)
        if n is None:
            pos += 1
        return (items if major == 4 else dict(zip(items[0::2], items[1::2]))), pos
    if major == 6:
        x, pos = decode(data, pos)
        return Tag(n, x), pos
    if info == 20:
        return False, pos
    if info == 21:
        return True, pos
    if info == 22:
        return None, pos
    if info == 27:
        return struct.unpack('>d', data[pos - 8:pos])[0], pos
    raise ValueError('unsupported')


def plain(v):
    if isinstance(v, bytes):
        return {'bytes': base64.b64encode(v).decode()}
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, Tag):
        return {'tag': v.tag, 'value': plain(v.value)}
    return v


endpoint, key_id, secret, stream = sys.argv[1:5]


def call(op, body, raw=None):
    data = raw if raw is not None else encode(body)
    req = AWSRequest(method='POST', url=endpoint + '/', data=data,
                     headers={'Content-Type': 'application/x-amz-cbor-1.1',
                              'X-Amz-Target': 'Kinesis_20131202.' + op})
    SigV4Auth(Credentials(key_id, secret), 'kinesis', 'us-east-1').add_auth(req)
    request = urllib.request.Request(req.url, data=data, headers=dict(req.headers), method='POST')
    try:
        resp = urllib.request.urlopen(request)
        status, ctype, body = resp.status, resp.headers['Content-Type'], resp.read()
    except urllib.error.HTTPError as e:
        status, ctype, body = e.code, e.headers['Content-Type'], e.read()
    return {'status': status, 'type': ctype, 'body': plain(decode(body)[0]) if body else None}


now_ms = int(time.time() * 1000)
out = {}
out['put'] = call('PutRecord', {'StreamName': stream, 'PartitionKey': 'cbor',
                                'Data': b'\x00\x01\xfe\xffbinary'})
it = call('GetShardIterator', {'StreamName': stream, 'ShardId': out['put']['body']['ShardId'],
                               'ShardIteratorType': 'TRIM_HORIZON'})
out['get'] = call('GetRecords', {'ShardIterator': it['body']['ShardIterator']})
out['at_tagged'] = call('GetShardIterator', {'StreamName': stream, 'ShardId': out['put']['body']['ShardId'],
                                             'ShardIteratorType': 'AT_TIMESTAMP',
                                             'Timestamp': Tag(1, now_ms - 60000)})
out['at_untagged'] = call('GetShardIterator', {'StreamName': stream, 'ShardId': out['put']['body']['ShardId'],
                                               'ShardIteratorType': 'AT_TIMESTAMP',
                                               'Timestamp': now_ms - 60000})
out['summary'] = call('DescribeStreamSummary', {'StreamName': stream})
out['missing'] = call('DescribeStreamSummary', {'StreamName': 'no-such-stream'})
out['invalid'] = call('CreateStream', {'StreamName': 'bad name!', 'ShardCount': 0})
out['malformed'] = call('ListStreams', None, raw=b'\xbf\x61')
out['not_a_map'] = call('ListStreams', None, raw=encode([1, 2, 3]))
out['now_ms'] = now_ms
print(json.dumps(out))
