# -*- coding: utf-8 -*-
"""Drives the official uforge-python-sdk 3.8.13 (a Python 2.7 program) against a server.

Run with the Python 2.7 of the official clients' environment:

    python sdk_driver.py URL USER (--password PW | --keys PUBLIC SECRET) ACTION ARGS...

ACTION is one of
    flow MSID OUTFILE FORMAT   status, mySoftware, export, poll, download, delete
    status MSID EID            one status read
    mysoftware MSID            one mySoftware read
    describe MSID              one mySoftware read, every field the tests look at
    library NAME               the library's routes: list (search, page), create NAME, update,
                               get, clone, delete the clone and the original
    account                    the user, its orgs, its first org's categories (all, PROJECT)
    import ARCHIVE IMPORTED    a bundle import of ARCHIVE (IMPORTED: true or false): create the
                               ticket, upload, poll its status, read it, read the mySoftware
It prints one JSON object on stdout; an SDK exception carrying a UForgeError is reported as
{"error": {...}} with its fields, any other exception as {"exception": "..."}. The actions that
make several calls report what they got so far too, and `step`, the call that failed.
"""

from __future__ import print_function

import json
import sys
import time

from uforge.application import Api, checkUForgeCompatible
from uforge.objects.uforge import (
    Categories,
    MySoftware,
    MySoftwareList,
    OpStatus,
    Orgs,
    SoftwareBundleExport,
    SoftwareBundleImport,
    UForgeError,
    User,
    category,
    mySoftware,
)


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


def flag(value):
    return None if value is None else bool(value)


def number(value):
    return None if value is None else int(value)


def text(value):
    return None if value is None else "%s" % value


def check_type(value, expected):
    assert type(value) is expected, "%s expected, got %r" % (expected.__name__, value)
    return value


def upload_fields(upload):
    if upload is None:
        return None
    return {"name": text(upload.name), "size": number(upload.size)}


def software_fields(software):
    check_type(software, MySoftware)
    return {
        "type": type(software).__name__,
        "dbId": number(software.dbId),
        "name": text(software.name),
        "version": text(software.version),
        "description": text(software.description),
        "size": number(software.size),
        "imported": flag(software.imported),
        "category": None if software.category is None else text(software.category.name),
        "license": upload_fields(software.license),
        "logo": upload_fields(software.logo),
        "uri": text(software.uri),
    }


def software_list_fields(listing):
    check_type(listing, MySoftwareList)
    items = listing.mySoftwareList.mySoftware if listing.mySoftwareList is not None else []
    return {
        "type": type(listing).__name__,
        "total": number(listing.total),
        "items": [software_fields(item) for item in items],
    }


def software_body(name=None, version=None, description=None, category_name=None):
    body = mySoftware()
    if name is not None:
        body.name = name
    if version is not None:
        body.version = version
    if description is not None:
        body.description = description
    if category_name is not None:
        body.category = category()
        body.category.name = category_name
    return body


def id_of(uri):
    return int(uri.rstrip("/").split("/")[-1])


def describe(api, uid, args, result):
    result["step"] = "Mysoftware(msid).Get"
    result.update(software_fields(api.Users(uid).Mysoftware(args[0]).Get()))
    del result["step"]


def library(api, uid, args, result):
    name = args[0]

    # Each call names the user again: the SDK forgets a path's arguments once it used them.
    def software(msid=None):
        mine = api.Users(uid).Mysoftware
        return mine if msid is None else mine(msid)

    result["step"] = "Mysoftware.Getall"
    result["all"] = software_list_fields(software().Getall())
    result["step"] = "Mysoftware.Getall(Query)"
    result["search"] = software_list_fields(software().Getall(Query="name=='Doomed'"))
    result["step"] = "Mysoftware.Getall(Orderby, Count, Offset)"
    result["page"] = software_list_fields(software().Getall(Orderby="name", Count=1, Offset=1))
    result["step"] = "Mysoftware.Create"
    created = software_fields(
        software().Create(software_body(name, "1.0", "Made by the SDK", "Monitoring"))
    )
    result["created"] = created
    msid = created["dbId"]
    result["step"] = "Mysoftware(msid).Update"
    result["updated"] = software_fields(
        software(msid).Update(software_body(version="1.1", description="Updated by the SDK"))
    )
    result["step"] = "Mysoftware(msid).Get"
    result["got"] = software_fields(software(msid).Get())
    result["step"] = "Mysoftware(msid).Clone.Clone"
    clone = software_fields(
        software(msid).Clone.Clone(software_body(name=name + "-clone", version="2.0"))
    )
    result["clone"] = clone
    result["step"] = "Mysoftware(clone).Delete"
    result["clone_deleted"] = software(clone["dbId"]).Delete()
    result["step"] = "Mysoftware(clone).Get after its delete"
    try:
        software(clone["dbId"]).Get()
        result["after_delete"] = "still there"
    except Exception as exception:
        result["after_delete"] = error_fields(exception)
    result["step"] = "Mysoftware(msid).Delete"
    result["deleted"] = software(msid).Delete()
    result["step"] = "Mysoftware.Getall after the deletes"
    result["after"] = software_list_fields(software().Getall())
    del result["step"]


def account(api, uid, args, result):
    result["step"] = "Users(uid).Get"
    user = check_type(api.Users(uid).Get(), User)
    result["user"] = {
        "type": type(user).__name__,
        "loginName": text(user.loginName),
        "created": user.created.strftime("%Y-%m-%d %H:%M:%S"),
    }
    result["step"] = "Users(uid).Orgs().Getall"
    orgs = check_type(api.Users(uid).Orgs().Getall(), Orgs)
    result["orgs"] = [{"dbId": number(org.dbId), "name": text(org.name)} for org in orgs.orgs.org]
    oid = orgs.orgs.org[0].dbId
    for key, query in (("categories", None), ("projects", "type=='PROJECT'")):
        result["step"] = "Orgs(oid).Categories.Getall(Query=%r)" % query
        found = check_type(api.Orgs(oid).Categories.Getall(Query=query), Categories)
        items = found.categories.category if found.categories is not None else []
        result[key] = sorted([text(item.name), text(item.type)] for item in items)
    del result["step"]


def bundle_import(api, uid, args, result):
    archive, imported = args[0], args[1] == "true"

    # Each call names the user again: the SDK forgets a path's arguments once it used them.
    def imports(sbid=None):
        mine = api.Users(uid).Bundleimports
        return mine if sbid is None else mine(sbid)

    result["step"] = "Bundleimports.Import"
    ticket = check_type(imports().Import(Imported=imported), SoftwareBundleImport)
    sbid = ticket.dbId
    result["ticket"] = {"dbId": number(sbid), "imported": flag(ticket.imported)}
    result["step"] = "Bundleimports(sbid).Uploads.Upload"
    with open(archive, "rb") as upload:
        status = check_type(imports(sbid).Uploads.Upload(upload), OpStatus)
    result["uploaded_status"] = status_fields(status)
    polls = 0
    deadline = time.time() + 60
    result["step"] = "Bundleimports(sbid).Status.Get"
    while True:
        status = check_type(imports(sbid).Status.Get(), OpStatus)
        polls += 1
        if status.complete or status.error or status.cancelled:
            break
        assert time.time() < deadline, "the import never ended"
        time.sleep(0.5)
    result["polls"] = polls
    result["final_status"] = status_fields(status)
    result["step"] = "Bundleimports(sbid).Get"
    done = check_type(imports(sbid).Get(), SoftwareBundleImport)
    result["import"] = {
        "dbId": number(done.dbId),
        "imported": flag(done.imported),
        "referenceUri": text(done.referenceUri),
    }
    if done.referenceUri:
        result["step"] = "Mysoftware(referenceUri).Get"
        result["mySoftware"] = software_fields(
            api.Users(uid).Mysoftware(id_of(done.referenceUri)).Get()
        )
    del result["step"]


ACTIONS = {
    "describe": describe,
    "library": library,
    "account": account,
    "import": bundle_import,
}


def main(argv):
    url, user = argv[1], argv[2]
    api, rest = make_api(url, user, argv[3:])
    action, args = rest[0], rest[1:]
    result = {}
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
        elif action in ACTIONS:
            ACTIONS[action](api, user, args, result)
        else:
            raise SystemExit("unknown action %s" % action)
    except Exception as exception:
        result.update(error_fields(exception))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
