#!/bin/sh
# SeaweedFS in one container: master, volume, filer and the S3 gateway (port 8333), with one
# identity (the app's key) written from the environment, so no secret sits in a file in the repo.
set -eu
: "${S3_ACCESS_KEY:?set S3_ACCESS_KEY}"
: "${S3_SECRET_KEY:?set S3_SECRET_KEY}"
cat > /tmp/s3.json <<JSON
{"identities": [{"name": "yezhu", "credentials": [{"accessKey": "${S3_ACCESS_KEY}", "secretKey": "${S3_SECRET_KEY}"}],
  "actions": ["Admin", "Read", "List", "Tagging", "Write"]}]}
JSON
exec weed server -dir=/data -ip.bind=0.0.0.0 -volume.max=0 -s3 -s3.port=8333 -s3.config=/tmp/s3.json
