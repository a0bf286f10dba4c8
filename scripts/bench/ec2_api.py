"""The moto side of scripts/bench.sh, with boto3: EC2 instances to match
ecsd's servers, and all of them running again between measurements.

    ec2_api.py create --endpoint URL --count N --ids FILE
    ec2_api.py settle --endpoint URL --ids FILE
"""

import argparse
import sys

import boto3

BATCH = 100  # as many as one ecsd create request makes
REGION = "us-east-1"


def client(endpoint):
    # moto accepts any key; these are the documented example ones.
    return boto3.client("ec2", endpoint_url=endpoint, region_name=REGION,
                        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
                        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")


def create(endpoint, count, ids_path):
    ec2 = client(endpoint)
    image = ec2.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]
    ids = []
    while len(ids) < count:
        n = min(BATCH, count - len(ids))
        r = ec2.run_instances(ImageId=image, InstanceType="t3.micro", MinCount=n, MaxCount=n)
        ids.extend(i["InstanceId"] for i in r["Instances"])
    with open(ids_path, "w", encoding="utf-8") as f:
        f.write("\n".join(ids) + "\n")
    print(f"moto: {len(ids)} instances of {image}", file=sys.stderr)


def settle(endpoint, ids_path):
    ec2 = client(endpoint)
    with open(ids_path, encoding="utf-8") as f:
        ids = [line.strip() for line in f if line.strip()]
    for k in range(0, len(ids), BATCH):
        ec2.start_instances(InstanceIds=ids[k:k + BATCH])


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("command", choices=["create", "settle"])
    p.add_argument("--endpoint", required=True)
    p.add_argument("--count", type=int)
    p.add_argument("--ids", required=True)
    a = p.parse_args()
    if a.command == "create":
        create(a.endpoint, a.count, a.ids)
    else:
        settle(a.endpoint, a.ids)


if __name__ == "__main__":
    main()
