"""Reads as one user with clickhouse-connect, default settings (as Superset connects).

Reads a job as JSON on stdin: {"host", "port", "user", "password", "reads": [sql…]}.
Connects (clickhouse-connect reads the server's version and settings from
system tables then), runs each statement, and prints one JSON list: for each,
{"rows": n} or {"code": ClickHouse error code, "error": message}.
"""
import json
import re
import sys

import clickhouse_connect
from clickhouse_connect.driver.exceptions import DatabaseError


def main() -> None:
    job = json.load(sys.stdin)
    client = clickhouse_connect.get_client(host=job["host"], port=job["port"], username=job["user"], password=job["password"])
    out = []
    for sql in job["reads"]:
        try:
            out.append({"rows": len(client.query(sql).result_rows)})
        except DatabaseError as error:
            code = re.search(r"Code: (\d+)\.", str(error))
            out.append({"code": int(code.group(1)) if code else None, "error": str(error)})
    json.dump(out, sys.stdout)


main()
