# -*- coding: utf-8 -*-
"""Drives the official uforge-python-sdk 3.8.13 through the appliance template routes, as
sdk_driver.py does the mySoftware ones (same arguments, same JSON report on stdout):

    python sdk_templates.py URL USER (--password PW | --keys PUBLIC SECRET) ACTION ARGS...

ACTION is one of
    templates AID SLOW_AID CLONE_NAME OUTFILE
        the appliances (list, search, get), the user's images; an export of AID to the end
        (create, status, get, a cancel refused once complete, download to OUTFILE, delete);
        an export of SLOW_AID cancelled while it runs (cancel, status, cancel again), seen in
        the user's exports and their statuses, then deleted; a clone of AID named CLONE_NAME,
        read then deleted
    import ARCHIVE IMPORTED
        an appliance import of ARCHIVE (IMPORTED: true or false): the ticket, the upload,
        its status polled, the ticket read, the appliance it made read; the user's imports
        searched on `imported` and their statuses kept to this one (`ai`); the ticket
        deleted, then read again
"""

from __future__ import print_function

import json
import sys
import time

from sdk_driver import check_type, error_fields, flag, id_of, make_api, number, status_fields, text
from uforge.objects.uforge import (
    Appliance,
    ApplianceExport,
    ApplianceExports,
    ApplianceImport,
    ApplianceImports,
    Appliances,
    Images,
    OpStatus,
    OpStatuses,
    appliance,
)


def appliance_fields(found):
    check_type(found, Appliance)
    return {
        "type": type(found).__name__,
        "dbId": number(found.dbId),
        "name": text(found.name),
        "version": text(found.version),
        "description": text(found.description),
        "distributionName": text(found.distributionName),
        "archName": text(found.archName),
        "imported": flag(found.imported),
        "uri": text(found.uri),
    }


def appliance_list_fields(listing):
    check_type(listing, Appliances)
    items = listing.appliances.appliance if listing.appliances is not None else []
    return {
        "type": type(listing).__name__,
        "total": number(listing.total),
        "items": [appliance_fields(item) for item in items],
    }


def export_fields(export):
    check_type(export, ApplianceExport)
    return {
        "type": type(export).__name__,
        "dbId": number(export.dbId),
        "applianceName": text(export.applianceName),
        "applianceVersion": text(export.applianceVersion),
        "downloadUri": text(export.downloadUri),
        "parentUri": text(export.parentUri),
        "status": status_fields(export.status),
    }


def ended(status):
    return status.complete or status.error or status.cancelled


def templates(api, uid, args, result):
    aid, slow, clone_name, out_path = int(args[0]), int(args[1]), args[2], args[3]

    # Each call names the user again: the SDK forgets a path's arguments once it used them.
    def appliances(db_id=None):
        mine = api.Users(uid).Appliances
        return mine() if db_id is None else mine(db_id)

    def exports(db_id, eid=None):
        return appliances(db_id).Exports(eid) if eid is not None else appliances(db_id).Exports()

    result["step"] = "Appliances.Getall"
    result["all"] = appliance_list_fields(appliances().Getall())
    result["step"] = "Appliances.Getall(Query)"
    result["search"] = appliance_list_fields(appliances().Getall(Query="name=='SDK Template'"))
    result["step"] = "Appliances(aid).Get"
    result["appliance"] = appliance_fields(appliances(aid).Get())
    result["step"] = "Images.Getall"
    images = check_type(api.Users(uid).Images.Getall(), Images)
    result["images"] = {
        "type": type(images).__name__,
        "count": len(images.images.image) if images.images is not None else 0,
    }

    result["step"] = "Exports.Export"
    created = export_fields(exports(aid).Export("yaml"))
    result["export"] = created
    eid = created["dbId"]
    deadline = time.time() + 60
    result["step"] = "Exports(eid).Status.Get"
    status = check_type(exports(aid, eid).Status.Get(), OpStatus)
    while not ended(status):
        assert time.time() < deadline, "the export never ended"
        time.sleep(0.5)
        status = check_type(exports(aid, eid).Status.Get(), OpStatus)
    result["final_status"] = status_fields(status)
    result["step"] = "Exports(eid).Get"
    result["got_export"] = export_fields(exports(aid, eid).Get())
    result["step"] = "Exports(eid).Status.Cancel of a complete export"
    try:
        exports(aid, eid).Status.Cancel()
        result["cancel_complete"] = "accepted"
    except Exception as exception:
        result["cancel_complete"] = error_fields(exception)
    result["step"] = "Exports(eid).Downloads.Download"
    with open(out_path, "wb") as archive:
        exports(aid, eid).Downloads.Download(streamingResponseFile=archive)
    result["step"] = "Exports(eid).Delete"
    result["deleted_export"] = exports(aid, eid).Delete()
    try:
        exports(aid, eid).Status.Get()
        result["after_delete"] = "still there"
    except Exception as exception:
        result["after_delete"] = error_fields(exception)

    result["step"] = "Exports.Export of the slow template"
    running = export_fields(exports(slow).Export("json"))
    slow_eid = running["dbId"]
    result["slow_export"] = running
    result["step"] = "Exports(slow eid).Status.Cancel"
    result["cancelled"] = status_fields(
        check_type(exports(slow, slow_eid).Status.Cancel(), OpStatus)
    )
    result["step"] = "Exports(slow eid).Status.Get after the cancel"
    result["after_cancel"] = status_fields(
        check_type(exports(slow, slow_eid).Status.Get(), OpStatus)
    )
    result["step"] = "Exports(slow eid).Status.Cancel again"
    result["cancelled_again"] = status_fields(
        check_type(exports(slow, slow_eid).Status.Cancel(), OpStatus)
    )
    result["step"] = "Users(uid).Exports.Getall"
    listing = check_type(api.Users(uid).Exports.Getall(), ApplianceExports)
    items = listing.applianceExports.applianceExport if listing.applianceExports is not None else []
    result["user_exports"] = {
        "type": type(listing).__name__,
        "total": number(listing.total),
        "items": [export_fields(item) for item in items],
    }
    result["step"] = "Users(uid).Exports.Statuses.Getallstatus"
    statuses = check_type(api.Users(uid).Exports.Statuses.Getallstatus(), OpStatuses)
    found = statuses.statuses.status if statuses.statuses is not None else []
    result["user_statuses"] = {
        "type": type(statuses).__name__,
        "items": [status_fields(item) for item in found],
    }
    result["step"] = "Exports(slow eid).Delete"
    result["deleted_slow"] = exports(slow, slow_eid).Delete()

    result["step"] = "Appliances(aid).Clones.Clone"
    body = appliance()
    body.name = clone_name
    body.version = "1.1"
    clone = appliance_fields(appliances(aid).Clones.Clone(body))
    result["clone"] = clone
    result["step"] = "Appliances(clone).Get"
    result["got_clone"] = appliance_fields(appliances(clone["dbId"]).Get())
    result["step"] = "Appliances(clone).Delete"
    result["deleted_clone"] = appliances(clone["dbId"]).Delete()
    try:
        appliances(clone["dbId"]).Get()
        result["after_clone_delete"] = "still there"
    except Exception as exception:
        result["after_clone_delete"] = error_fields(exception)
    del result["step"]


def template_import(api, uid, args, result):
    archive, imported = args[0], args[1] == "true"

    def imports(iid=None):
        mine = api.Users(uid).Imports
        return mine if iid is None else mine(iid)

    result["step"] = "Imports.Import"
    ticket = check_type(
        imports().Import(Imported=imported, Force=False, Reusebundles=True, Usemajor=False),
        ApplianceImport,
    )
    iid = ticket.dbId
    result["ticket"] = {"dbId": number(iid), "imported": flag(ticket.imported)}
    result["step"] = "Imports(iid).Uploads.Upload"
    with open(archive, "rb") as upload:
        status = check_type(imports(iid).Uploads.Upload(upload), OpStatus)
    result["uploaded_status"] = status_fields(status)
    deadline = time.time() + 60
    result["step"] = "Imports(iid).Status.Get"
    while True:
        status = check_type(imports(iid).Status.Get(), OpStatus)
        if ended(status):
            break
        assert time.time() < deadline, "the import never ended"
        time.sleep(0.5)
    result["final_status"] = status_fields(status)
    result["step"] = "Imports(iid).Get"
    done = check_type(imports(iid).Get(), ApplianceImport)
    result["import"] = {
        "dbId": number(done.dbId),
        "imported": flag(done.imported),
        "referenceUri": text(done.referenceUri),
    }
    if done.referenceUri:
        result["step"] = "Appliances(referenceUri).Get"
        result["appliance"] = appliance_fields(
            api.Users(uid).Appliances(id_of(done.referenceUri)).Get()
        )
    result["step"] = "Imports.Getall"
    query = "imported==%s" % ("true" if imported else "false")
    listing = check_type(imports().Getall(Query=query, Orderby="dbId"), ApplianceImports)
    items = listing.applianceImports.applianceImport if listing.applianceImports else []
    result["user_imports"] = {
        "type": type(listing).__name__,
        "total": number(listing.total),
        "items": [{"dbId": number(item.dbId), "imported": flag(item.imported)} for item in items],
    }
    result["step"] = "Imports.Statuses.Getallstatus"
    uri = "users/%s/imports/%s" % (uid, iid)
    statuses = check_type(imports().Statuses.Getallstatus(Ai=uri), OpStatuses)
    found = statuses.statuses.status if statuses.statuses is not None else []
    result["user_statuses"] = [status_fields(item) for item in found]
    result["step"] = "Imports(iid).Delete"
    result["deleted"] = imports(iid).Delete()
    try:
        imports(iid).Get()
        result["after_delete"] = "still there"
    except Exception as exception:
        result["after_delete"] = error_fields(exception)
    del result["step"]


ACTIONS = {"templates": templates, "import": template_import}


def main(argv):
    url, user = argv[1], argv[2]
    api, rest = make_api(url, user, argv[3:])
    action, args = rest[0], rest[1:]
    result = {}
    try:
        if action not in ACTIONS:
            raise SystemExit("unknown action %s" % action)
        ACTIONS[action](api, user, args, result)
    except Exception as exception:
        result.update(error_fields(exception))
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
