# -*- coding: utf-8 -*-
"""Drives the official uforge-python-sdk 3.8.13 (a Python 2.7 program) against a server.

Run with the Python 2.7 of the official clients' environment:

    python sdk_driver.py URL USER (--password PW | --keys PUBLIC SECRET) ACTION ARGS...

ACTION is one of
    flow MSID OUTFILE FORMAT   status, mySoftware, export, poll, download, delete
    status MSID EID            one status read
    mysoftware MSID            one mySoftware read
It prints one JSON object on stdout; an SDK exception carrying a UForgeError is reported as
{"error": {...}} with its fields, any other exception as {"exception": "..."}.
"""

from __future__ import print_function

import json
import sys
import time

from uforge.application import Api, checkUForgeCompatible
from uforge.objects.uforge import MySoftware, OpStatus, SoftwareBundleExport, UForgeError


def make_api(url, user, argv):
    if argv[0] == "--keys":
        keys = {"publickey": argv[1], "secretkey": argv[2]}
        return Api(url, username=user, password=None, headers=None, apikeys=keys, timeout=30), argv[
            3:
        ]
    return Api(url, username=user, password=argv[1], headers=None, timeout=30), argv[2:]


def status_fields(status):
    return {
        "type": type(status).__name__,
        "dbId": status.dbId,
        "percentage": status.percentage,
        "complete": status.complete,
        "error": status.error,
        "cancelled": status.cancelled,
        "message": status.message,
        "errorMessage": status.errorMessage,
        "detailedError": status.detailedError,
        "detailedErrorMsg": status.detailedErrorMsg,
    }


def error_fields(exception):
    if exception.args and type(exception.args[0]) is UForgeError:
        error = exception.args[0]
        return {
            "error": {
                "statusCode": error.statusCode,
                "requestMethod": error.requestMethod,
                "requestUri": error.requestUri,
                "message": error.localizedErrorMsg.message,
                "messageId": error.localizedErrorMsg.messageId,
            }
        }
    return {"exception": "%s: %r" % (type(exception).__name__, exception.args)}


def flow(api, uid, msid, out_path, output_format):
    result = {}
    service = api.Status.Get()
    result["version"] = service.version
    result["compatible"] = checkUForgeCompatible(api)[0]
    software = api.Users(uid).Mysoftware(msid).Get()
    assert type(software) is MySoftware, repr(software)
    result["mySoftware"] = {
        "dbId": software.dbId,
        "name": software.name,
        "version": software.version,
    }
    export = api.Users(uid).Mysoftware(msid).Exports().Export(output_format)
    assert type(export) is SoftwareBundleExport, repr(export)
    eid = export.dbId
    result["export"] = {"dbId": eid, "downloadUri": export.downloadUri}
    result["created_status"] = status_fields(export.status)
    status = export.status
    polls = 0
    deadline = time.time() + 60
    while not (status.complete or status.error or status.cancelled):
        assert time.time() < deadline, "the export never ended"
        time.sleep(0.5)
        status = api.Users(uid).Mysoftware(msid).Exports(eid).Status.Get()
        assert type(status) is OpStatus, repr(status)
        polls += 1
    result["polls"] = polls
    result["final_status"] = status_fields(status)
    if not status.complete:
        return result
    with open(out_path, "wb") as archive:
        api.Users(uid).Mysoftware(msid).Exports(eid).Downloads.Download(
            streamingResponseFile=archive
        )
    result["deleted"] = api.Users(uid).Mysoftware(msid).Exports(eid).Delete()
    try:
        api.Users(uid).Mysoftware(msid).Exports(eid).Status.Get()
        result["after_delete"] = "still there"
    except Exception as exception:  # the SDK raises a plain Exception carrying the error
        result["after_delete"] = error_fields(exception)
    return result


def main(argv):
    url, user = argv[1], argv[2]
    api, rest = make_api(url, user, argv[3:])
    action, args = rest[0], rest[1:]
    try:
        if action == "flow":
            result = flow(api, user, args[0], args[1], args[2])
        elif action == "status":
            result = status_fields(
                api.Users(user).Mysoftware(args[0]).Exports(args[1]).Status.Get()
            )
        elif action == "mysoftware":
            software = api.Users(user).Mysoftware(args[0]).Get()
            result = {"type": type(software).__name__, "dbId": software.dbId, "name": software.name}
        else:
            raise SystemExit("unknown action %s" % action)
    except Exception as exception:
        result = error_fields(exception)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
