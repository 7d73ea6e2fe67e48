#!/usr/bin/python3
"""The official Kubernetes Python client (Debian's python3-kubernetes) against `npm run cluster`.

A second real client beside kubectl: it builds its requests its own way (booleans as `True`,
its own watch line reader, patch content types chosen from the body) and deserializes every
answer into its typed models, so the embedded API server is held to what that client expects
of kube-apiserver. python-client.test.ts runs it and asserts each check by name.

Usage: /usr/bin/python3 harness/cluster/python-client.py --kubeconfig PATH

Each check prints one JSON line, {"name", "ok", "detail", "seconds"}; the exit code is 1 if
any failed. Every object lives in a fresh namespace (DataUploads in `velero`, with the same
suffix), so the script can run again against the same cluster.
"""
import argparse
import json
import secrets
import sys
import threading
import time
import traceback

import urllib3

from kubernetes import client, config, watch
from kubernetes.client.rest import ApiException

# Every request gives up after this long, so a server that never answers fails a check
# instead of hanging the run. Watches end sooner, by their own timeout_seconds.
REQUEST_TIMEOUT_S = 10
WATCH_TIMEOUT_S = 6

DU_GROUP, DU_VERSION, DU_PLURAL = 'velero.io', 'v2alpha1', 'datauploads'
VELERO_NS = 'velero'


class CheckFailed(Exception):
    pass


def expect(condition, message):
    if not condition:
        raise CheckFailed(message)


def expect_equal(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f'{what}: expected {expected!r}, got {actual!r}')


def api_error(call, status, reason):
    """Runs call, which must fail with this HTTP status and Status reason (None: any); returns the Status body."""
    try:
        call()
    except ApiException as e:
        body = parse_body(e.body)
        got_reason = body.get('reason') if isinstance(body, dict) else None
        if e.status != status or (reason is not None and got_reason != reason):
            raise CheckFailed(f'expected {status} {reason}, got {e.status} {got_reason}: {e.body}')
        return body
    raise CheckFailed(f'expected {status} {reason}, the call succeeded')


def parse_body(text):
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


class TimedApiClient(client.ApiClient):
    """The library's ApiClient with a read timeout on every request that does not set one."""

    def request(self, method, url, query_params=None, headers=None, post_params=None, body=None,
                _preload_content=True, _request_timeout=None):
        return super().request(method, url, query_params, headers, post_params, body,
                               _preload_content, _request_timeout or REQUEST_TIMEOUT_S)


class RecordingWatch(watch.Watch):
    """The library's Watch, keeping the raw lines it read so a failure can show them."""

    def __init__(self):
        super().__init__()
        self.lines = []

    def unmarshal_event(self, data, return_type):
        self.lines.append(data)
        return super().unmarshal_event(data, return_type)


def names(items):
    return sorted(i.metadata.name for i in items)


def cm(name, labels=None, data=None):
    return client.V1ConfigMap(metadata=client.V1ObjectMeta(name=name, labels=labels), data=data)


class Checks:
    def __init__(self, api_client, suffix):
        self.api = api_client
        self.core = client.CoreV1Api(api_client)
        self.custom = client.CustomObjectsApi(api_client)
        self.ns = f'python-client-{suffix}'
        self.suffix = suffix

    # -- helpers -------------------------------------------------------------------------------

    def stream_watch(self, func, *args, want, mutate=None, timeout_seconds=WATCH_TIMEOUT_S, **kwargs):
        """Streams func's watch with the library's Watch, while mutate() runs on another thread.

        want(events) says when enough has been seen, events being (type, object) pairs; the
        stream stops then, or when the server ends it at timeout_seconds. Returns the events and
        a sentence on how the stream went, for failure messages.
        """
        w = RecordingWatch()
        events = []
        failures = []

        def run():
            time.sleep(0.3)  # the watch request is on the wire by now
            try:
                mutate()
            except Exception as e:  # reported with the events below
                failures.append(f'{type(e).__name__}: {e}')

        mutator = threading.Thread(target=run) if mutate else None
        if mutator:
            mutator.start()
        started = time.monotonic()
        try:
            for event in w.stream(func, *args, timeout_seconds=timeout_seconds, **kwargs):
                events.append((event['type'], event['object']))
                if want(events):
                    w.stop()
        except Exception as e:
            raise CheckFailed(f'the watch stream raised {type(e).__name__}: {e}; lines read: {w.lines[:3]}') from e
        finally:
            if mutator:
                mutator.join()
        expect(not failures, f'the changes made during the watch failed: {failures}')
        by = 'the check' if want(events) else 'the server'
        story = (f'the stream ran {time.monotonic() - started:.2f} s of timeout_seconds={timeout_seconds}, ended by {by}, '
                 f'and read {len(w.lines)} lines: {[l[:200] for l in w.lines[:4]]}')
        return events, story

    def cleanup_namespace(self):
        try:
            self.core.delete_namespace(self.ns)
        except Exception:  # best effort: the failures are already reported
            pass

    # -- checks, in the order they run ---------------------------------------------------------

    def namespaces(self):
        created = self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=self.ns)))
        expect_equal(created.status.phase, 'Active', 'the new namespace\'s status.phase')
        try:
            self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=VELERO_NS)))
        except ApiException as e:
            expect(e.status == 409, f'creating namespace {VELERO_NS}: {e.status} {e.body}')
        expect_equal(self.core.read_namespace(VELERO_NS).metadata.name, VELERO_NS, 'read_namespace')
        return f'created {self.ns}; {VELERO_NS} exists'

    def typed_lists(self):
        """Lists that the client deserializes into its models, which refuse missing required fields."""
        counts = {}
        nodes = self.core.list_node().items
        counts['nodes'] = len(nodes)
        worker = next((n for n in nodes if n.metadata.name == 'worker-1'), None)
        expect(worker is not None, f'no node worker-1 among {names(nodes)}')
        expect_equal(worker.status.capacity.get('cpu'), '4', 'worker-1 status.capacity.cpu')
        ready = [c.status for c in worker.status.conditions if c.type == 'Ready']
        expect_equal(ready, ['True'], 'worker-1 Ready condition')
        counts['namespaces'] = len(self.core.list_namespace().items)
        counts['pods'] = len(self.core.list_pod_for_all_namespaces().items)
        counts['events'] = len(self.core.list_event_for_all_namespaces().items)
        counts['pvcs'] = len(self.core.list_persistent_volume_claim_for_all_namespaces().items)
        counts['storageclasses'] = len(client.StorageV1Api(self.api).list_storage_class().items)
        crds = client.ApiextensionsV1Api(self.api).list_custom_resource_definition().items
        counts['crds'] = len(crds)
        du = next((c for c in crds if c.metadata.name == 'datauploads.velero.io'), None)
        expect(du is not None, f'no CRD datauploads.velero.io among {names(crds)}')
        expect_equal([v.name for v in du.spec.versions if v.served], [DU_VERSION], 'served DataUpload versions')
        groups = [g.name for g in client.ApisApi(self.api).get_api_versions().groups]
        expect(DU_GROUP in groups, f'{DU_GROUP} not in /apis groups {groups}')
        expect('v1' in client.CoreApi(self.api).get_api_versions().versions, '/api does not list v1')
        return ', '.join(f'{k} {v}' for k, v in counts.items())

    def list(self):
        self.core.create_namespaced_config_map(self.ns, cm('cm-a', {'team': 'a', 'tier': 'web'}, {'a': '1'}))
        self.core.create_namespaced_config_map(self.ns, cm('cm-b', {'team': 'b', 'tier': 'db'}, {'b': '2'}))
        self.core.create_namespaced_config_map(self.ns, cm('cm-c', {'team': 'a'}, {'c': '3'}))
        listed = self.core.list_namespaced_config_map(self.ns)
        expect_equal([i.metadata.name for i in listed.items], ['cm-a', 'cm-b', 'cm-c'], 'names in list order')
        expect(listed.metadata.resource_version, 'the list has no metadata.resourceVersion')
        expect_equal(listed.items[1].data, {'b': '2'}, 'cm-b data in the list')
        expect_equal(self.core.read_namespaced_config_map('cm-c', self.ns).data, {'c': '3'}, 'read cm-c data')
        everywhere = self.core.list_config_map_for_all_namespaces()
        mine = [i.metadata.name for i in everywhere.items if i.metadata.namespace == self.ns]
        expect_equal(sorted(mine), ['cm-a', 'cm-b', 'cm-c'], 'this namespace\'s configmaps in the all-namespaces list')
        return f'3 configmaps listed at resourceVersion {listed.metadata.resource_version}'

    def errors(self):
        missing = api_error(lambda: self.core.read_namespaced_config_map('nope', self.ns), 404, 'NotFound')
        expect_equal(missing.get('message'), 'configmaps "nope" not found', '404 message')
        expect_equal(missing.get('details'), {'name': 'nope', 'kind': 'configmaps'}, '404 details')
        dup = api_error(lambda: self.core.create_namespaced_config_map(self.ns, cm('cm-a')), 409, 'AlreadyExists')
        expect_equal(dup.get('message'), 'configmaps "cm-a" already exists', '409 message')
        bad = api_error(lambda: self.core.create_namespaced_config_map(self.ns, cm('Bad_Name')), 422, 'Invalid')
        expect('metadata.name' in bad.get('message', ''), f'422 message does not name metadata.name: {bad}')
        return '404 NotFound, 409 AlreadyExists, 422 Invalid with kube-apiserver\'s messages'

    def dry_run(self):
        made = self.core.create_namespaced_config_map(self.ns, cm('dry', data={'x': '1'}), dry_run='All')
        expect_equal(made.data, {'x': '1'}, 'the dry-run answer\'s data')
        api_error(lambda: self.core.read_namespaced_config_map('dry', self.ns), 404, 'NotFound')
        return 'dryRun=All answered the object and stored nothing'

    def label_selectors(self):
        cases = {
            'team=a': ['cm-a', 'cm-c'],
            'team!=a': ['cm-b'],
            'team in (a,b)': ['cm-a', 'cm-b', 'cm-c'],
            'team notin (a)': ['cm-b'],
            'tier': ['cm-a', 'cm-b'],
            '!tier': ['cm-c'],
            'team=a,tier=web': ['cm-a'],
            'team=z': [],
        }
        for selector, want in cases.items():
            got = names(self.core.list_namespaced_config_map(self.ns, label_selector=selector).items)
            expect_equal(got, want, f'label_selector {selector!r}')
        api_error(lambda: self.core.list_namespaced_config_map(self.ns, label_selector='team in a'), 400, 'BadRequest')
        return f'{len(cases)} selectors matched as kube-apiserver does; a malformed one is 400 BadRequest'

    def field_selectors(self):
        expect_equal(names(self.core.list_namespaced_config_map(self.ns, field_selector='metadata.name=cm-b').items),
                     ['cm-b'], 'field_selector metadata.name=cm-b')
        expect_equal(names(self.core.list_namespaced_config_map(self.ns, field_selector='metadata.name!=cm-b').items),
                     ['cm-a', 'cm-c'], 'field_selector metadata.name!=cm-b')
        expect_equal(names(self.core.list_config_map_for_all_namespaces(field_selector=f'metadata.namespace={self.ns}').items),
                     ['cm-a', 'cm-b', 'cm-c'], f'all namespaces, field_selector metadata.namespace={self.ns}')
        expect_equal(names(self.core.list_namespaced_config_map(self.ns, field_selector='metadata.name!=cm-b', label_selector='tier').items),
                     ['cm-a'], 'field and label selector together')
        bad = api_error(lambda: self.core.list_namespaced_config_map(self.ns, field_selector='data.a=1'), 400, 'BadRequest')
        expect('field label not supported: data.a' in bad.get('message', ''), f'400 message: {bad}')
        return 'metadata.name, metadata.namespace, with a label selector; an unsupported field is 400'

    def paging(self):
        for i in range(7):
            self.core.create_namespaced_config_map(self.ns, cm(f'page-{i}', {'page': 'yes'}))
        seen, sizes, versions = [], [], set()
        token = None
        while True:
            page = self.core.list_namespaced_config_map(self.ns, label_selector='page=yes', limit=3, _continue=token)
            sizes.append(len(page.items))
            versions.add(page.metadata.resource_version)
            seen += [i.metadata.name for i in page.items]
            token = page.metadata._continue
            if len(sizes) == 1:
                # Written after the first page: a continued list is served from the first
                # page's snapshot, so this object is not in it.
                self.core.create_namespaced_config_map(self.ns, cm('page-late', {'page': 'yes'}))
            if not token or len(sizes) > 10:
                break
        expect_equal(sorted(seen), [f'page-{i}' for i in range(7)], 'names over all pages')
        expect_equal(len(seen), len(set(seen)), 'every item once')
        expect(len(sizes) >= 3 and all(s <= 3 for s in sizes), f'page sizes {sizes} for limit 3')
        expect_equal(len(versions), 1, 'metadata.resourceVersion of every page (one snapshot)')
        return f'pages {sizes}, one snapshot at {versions.pop()}'

    def conflict(self):
        stale = self.core.read_namespaced_config_map('cm-a', self.ns)
        fresh = self.core.read_namespaced_config_map('cm-a', self.ns)
        fresh.data = {'a': 'updated'}
        updated = self.core.replace_namespaced_config_map('cm-a', self.ns, fresh)
        expect(updated.metadata.resource_version != stale.metadata.resource_version, 'replace kept the resourceVersion')
        stale.data = {'a': 'stale'}
        body = api_error(lambda: self.core.replace_namespaced_config_map('cm-a', self.ns, stale), 409, 'Conflict')
        expect_equal(body.get('message'),
                     'Operation cannot be fulfilled on configmaps "cm-a": the object has been modified; '
                     'please apply your changes to the latest version and try again', '409 message')
        expect_equal(self.core.read_namespaced_config_map('cm-a', self.ns).data, {'a': 'updated'}, 'data after the refused write')
        stale.metadata.resource_version = None
        stale.data = {'a': '1'}
        self.core.replace_namespaced_config_map('cm-a', self.ns, stale)
        expect_equal(self.core.read_namespaced_config_map('cm-a', self.ns).data, {'a': '1'}, 'data after an unconditional replace')
        return 'stale resourceVersion: 409 Conflict, object unchanged; without one the replace goes through'

    def watch(self):
        rv = self.core.list_namespaced_config_map(self.ns).metadata.resource_version

        def mutate():
            self.core.create_namespaced_config_map(self.ns, cm('watched', data={'k': 'v'}))
            self.core.patch_namespaced_config_map('watched', self.ns, {'metadata': {'labels': {'seen': 'yes'}}})
            self.core.delete_namespaced_config_map('watched', self.ns)

        events, story = self.stream_watch(self.core.list_namespaced_config_map, self.ns, resource_version=rv,
                                   allow_watch_bookmarks=True, mutate=mutate,
                                   want=lambda ev: any(t == 'DELETED' and o.metadata.name == 'watched' for t, o in ev))
        mine = [(t, o) for t, o in events if t != 'BOOKMARK' and o.metadata.name == 'watched']
        expect_equal([t for t, _ in mine], ['ADDED', 'MODIFIED', 'DELETED'], f'event types for configmap "watched" ({story})')
        expect(all(isinstance(o, client.V1ConfigMap) for _, o in mine), 'events not deserialized as V1ConfigMap')
        expect_equal(mine[1][1].metadata.labels, {'seen': 'yes'}, 'labels in the MODIFIED event')
        return f'ADDED, MODIFIED, DELETED from resourceVersion {rv}'

    def watch_label_selector(self):
        rv = self.core.list_namespaced_config_map(self.ns).metadata.resource_version

        def relabel(value):
            self.core.patch_namespaced_config_map('moving', self.ns, {'metadata': {'labels': {'watch': value}}})

        def mutate():
            self.core.create_namespaced_config_map(self.ns, cm('moving', {'watch': 'me'}))
            relabel('other')
            relabel('me')
            self.core.delete_namespaced_config_map('moving', self.ns)

        events, story = self.stream_watch(self.core.list_namespaced_config_map, self.ns, resource_version=rv,
                                   label_selector='watch=me', mutate=mutate,
                                   want=lambda ev: [t for t, _ in ev].count('DELETED') >= 2)
        got = [t for t, o in events if o.metadata.name == 'moving']
        # Leaving the selector is DELETED and entering it ADDED, as kube-apiserver's watch cache filters.
        expect_equal(got, ['ADDED', 'DELETED', 'ADDED', 'DELETED'], f'events through label_selector watch=me ({story})')
        return 'leaving the selector is DELETED, entering it ADDED'

    def watch_initial_state(self):
        events, story = self.stream_watch(self.core.list_namespaced_config_map, self.ns, label_selector='team=a',
                                   timeout_seconds=2, want=lambda ev: len(ev) == 2)
        # No resourceVersion: kube-apiserver starts with an ADDED event for every object that exists.
        expect_equal(sorted((t, o.metadata.name) for t, o in events), [('ADDED', 'cm-a'), ('ADDED', 'cm-c')],
                     f'events of a watch without resourceVersion ({story})')
        return 'ADDED for each existing object'

    def patch_raw(self, path, content_type, body, response_type='object', **path_params):
        """A PATCH with the content type given, through the library's own call_api (its typed
        methods choose strategic merge for a dict, JSON patch for a list)."""
        data, status, _ = self.api.call_api(
            path, 'PATCH', path_params=path_params, body=body, response_type=response_type,
            header_params={'Content-Type': content_type, 'Accept': 'application/json'}, _return_http_data_only=False)
        expect_equal(status, 200, f'status of the {content_type} PATCH')
        return data

    def patch_strategic(self):
        # A dict body goes as application/strategic-merge-patch+json. Finalizers merge under it
        # (patchStrategy merge); a JSON merge patch would replace the list.
        self.core.patch_namespaced_config_map('cm-b', self.ns, {'metadata': {'finalizers': ['example.com/a']}})
        patched = self.core.patch_namespaced_config_map('cm-b', self.ns, {
            'data': {'extra': 'x'}, 'metadata': {'labels': {'patched': 'yes'}, 'finalizers': ['example.com/b']}})
        expect_equal(patched.data, {'b': '2', 'extra': 'x'}, 'cm-b data after a strategic merge patch')
        expect_equal(patched.metadata.labels, {'team': 'b', 'tier': 'db', 'patched': 'yes'}, 'cm-b labels')
        # Items only in the patch come first, as apimachinery's strategic merge orders them (mergeSortedSlice).
        expect_equal(patched.metadata.finalizers, ['example.com/b', 'example.com/a'], 'cm-b finalizers, merged')
        pod = client.V1Pod(
            metadata=client.V1ObjectMeta(name='two-containers'),
            spec=client.V1PodSpec(containers=[
                client.V1Container(name='main', image='busybox:1.36'),
                client.V1Container(name='sidecar', image='busybox:1.36'),
            ]))
        self.core.create_namespaced_pod(self.ns, pod)
        # Containers merge by name under a strategic merge patch; a merge patch would replace the list.
        after = self.core.patch_namespaced_pod('two-containers', self.ns, {'spec': {'containers': [{'name': 'sidecar', 'image': 'busybox:1.37'}]}})
        expect_equal([(c.name, c.image) for c in after.spec.containers],
                     [('main', 'busybox:1.36'), ('sidecar', 'busybox:1.37')], 'containers after the strategic patch')
        self.core.delete_namespaced_pod('two-containers', self.ns, grace_period_seconds=0)
        return 'configmap data, labels and finalizers merged; pod containers merged by name'

    def patch_json(self):
        body = [
            {'op': 'add', 'path': '/data/c', 'value': '3'},
            {'op': 'replace', 'path': '/data/b', 'value': 'two'},
            {'op': 'remove', 'path': '/data/extra'},
        ]
        patched = self.core.patch_namespaced_config_map('cm-b', self.ns, body)  # a list is sent as application/json-patch+json
        expect_equal(patched.data, {'b': 'two', 'c': '3'}, 'cm-b data after a JSON patch')
        failing = [{'op': 'test', 'path': '/data/b', 'value': 'not-this'}, {'op': 'remove', 'path': '/data/b'}]
        api_error(lambda: self.core.patch_namespaced_config_map('cm-b', self.ns, failing), 422, None)
        expect_equal(self.core.read_namespaced_config_map('cm-b', self.ns).data, {'b': 'two', 'c': '3'}, 'data after the failed test op')
        return 'add, replace, remove applied; a failed test op is 422 and changes nothing'

    def patch_merge(self):
        path = '/api/v1/namespaces/{namespace}/configmaps/{name}'
        patched = self.patch_raw(path, 'application/merge-patch+json', {'data': {'c': None, 'd': '4'}, 'metadata': {'finalizers': ['example.com/c']}},
                                 'V1ConfigMap', namespace=self.ns, name='cm-b')
        expect_equal(patched.data, {'b': 'two', 'd': '4'}, 'cm-b data after a merge patch (null removes c)')
        expect_equal(patched.metadata.finalizers, ['example.com/c'], 'cm-b finalizers, replaced by the merge patch')
        cleared = self.patch_raw(path, 'application/merge-patch+json', {'metadata': {'finalizers': None}}, 'V1ConfigMap', namespace=self.ns, name='cm-b')
        expect_equal(cleared.metadata.finalizers, None, 'cm-b finalizers after a null')
        return 'merge patch: a null removes a key, a list is replaced'

    def pod_runs(self):
        name = 'runs-a-second'
        pod = client.V1Pod(
            metadata=client.V1ObjectMeta(name=name, annotations={'datamover-bench.io/run-seconds': '1'}),
            spec=client.V1PodSpec(restart_policy='Never', containers=[client.V1Container(name='main', image='busybox:1.36')]))
        rv = self.core.list_namespaced_pod(self.ns).metadata.resource_version
        events, story = self.stream_watch(self.core.list_namespaced_pod, self.ns, resource_version=rv,
                                   field_selector=f'metadata.name={name}',
                                   mutate=lambda: self.core.create_namespaced_pod(self.ns, pod),
                                   want=lambda ev: bool(ev) and ev[-1][1].status.phase == 'Succeeded')
        phases = []
        for _, o in events:
            if not phases or phases[-1] != o.status.phase:
                phases.append(o.status.phase)
        expect_equal(phases[-1:], ['Succeeded'], f'last phase in the watch ({story})')
        expect('Running' in phases, f'no Running phase in the watch: {phases}')
        node = events[-1][1].spec.node_name
        by = lambda selector: names(self.core.list_namespaced_pod(self.ns, field_selector=selector).items)
        expect(name in by('status.phase=Succeeded'), 'field_selector status.phase=Succeeded misses the pod')
        expect(name not in by('status.phase=Running'), 'field_selector status.phase=Running has the pod')
        expect(name in by(f'spec.nodeName={node}'), f'field_selector spec.nodeName={node} misses the pod')
        return f'phases {" -> ".join(phases)} on {node}, watched by field selector'

    def _dataupload(self, name):
        return {
            'apiVersion': f'{DU_GROUP}/{DU_VERSION}', 'kind': 'DataUpload',
            'metadata': {'name': name, 'labels': {'velero.io/backup-name': f'backup-{self.suffix}'}},
            'spec': {
                'snapshotType': 'CSI',
                'csiSnapshot': {'volumeSnapshot': f'snap-{name}', 'storageClass': 'csi-hostpath-sc'},
                'sourcePVC': 'data-0', 'sourceNamespace': self.ns,
                'backupStorageLocation': 'default', 'operationTimeout': '10m0s',
            },
        }

    def _du(self, op, *args, **kwargs):
        return getattr(self.custom, f'{op}_namespaced_custom_object')(DU_GROUP, DU_VERSION, VELERO_NS, DU_PLURAL, *args, **kwargs)

    @property
    def du_name(self):
        return f'du-{self.suffix}'

    def dataupload_create_get_list(self):
        made = self._du('create', self._dataupload(self.du_name))
        expect(made['metadata'].get('uid'), 'the created DataUpload has no uid')
        got = self._du('get', self.du_name)
        expect_equal((got['apiVersion'], got['kind']), (f'{DU_GROUP}/{DU_VERSION}', 'DataUpload'), 'apiVersion and kind')
        expect_equal(got['spec']['sourcePVC'], 'data-0', 'spec.sourcePVC')
        listed = self._du('list', label_selector=f'velero.io/backup-name=backup-{self.suffix}')
        expect_equal(listed.get('kind'), 'DataUploadList', 'list kind')
        expect_equal([i['metadata']['name'] for i in listed['items']], [self.du_name], 'listed by label')
        everywhere = self.custom.list_cluster_custom_object(DU_GROUP, DU_VERSION, DU_PLURAL)
        expect(self.du_name in [i['metadata']['name'] for i in everywhere['items']], 'not in the all-namespaces list')
        return f'{VELERO_NS}/{self.du_name} created, read, listed by label and across namespaces'

    def dataupload_merge_patch(self):
        patched = self._du('patch', self.du_name, {'status': {'phase': 'Accepted', 'acceptedByNode': 'worker-1'}})
        expect_equal(patched['status'].get('phase'), 'Accepted', 'status.phase after the merge patch')
        expect_equal(patched['spec']['sourcePVC'], 'data-0', 'spec after the merge patch')
        bad = api_error(lambda: self._du('patch', self.du_name, {'status': {'phase': 'Bogus'}}), 422, 'Invalid')
        expect('status.phase' in bad.get('message', '') and 'Unsupported value: "Bogus"' in bad.get('message', ''),
               f'422 message: {bad.get("message")}')
        # Custom resources have no patch strategies: kube-apiserver refuses a strategic merge patch.
        api_error(lambda: self.patch_raw('/apis/{group}/{version}/namespaces/{namespace}/{plural}/{name}',
                                         'application/strategic-merge-patch+json', {'status': {'phase': 'Prepared'}},
                                         group=DU_GROUP, version=DU_VERSION, namespace=VELERO_NS, plural=DU_PLURAL, name=self.du_name),
                  415, 'UnsupportedMediaType')
        return 'merge patch of status through the main resource; an unknown phase is 422 naming status.phase; strategic is 415'

    def dataupload_status_subresource(self):
        # Velero's CRD declares no subresources, so /status is not served: 404 as from kube-apiserver.
        api_error(lambda: self.custom.get_namespaced_custom_object_status(DU_GROUP, DU_VERSION, VELERO_NS, DU_PLURAL, self.du_name), 404, 'NotFound')
        api_error(lambda: self.custom.patch_namespaced_custom_object_status(
            DU_GROUP, DU_VERSION, VELERO_NS, DU_PLURAL, self.du_name, {'status': {'phase': 'Prepared'}}), 404, 'NotFound')
        expect_equal(self._du('get', self.du_name)['status']['phase'], 'Accepted', 'status.phase after the refused /status patch')
        return 'not served (no subresources in the CRD, as in Velero): get and patch of /status are 404'

    def dataupload_conflict(self):
        stale = self._du('get', self.du_name)
        fresh = self._du('get', self.du_name)
        fresh['spec']['cancel'] = True
        self._du('replace', self.du_name, fresh)
        stale['status']['phase'] = 'Prepared'
        body = api_error(lambda: self._du('replace', self.du_name, stale), 409, 'Conflict')
        expect(f'datauploads.velero.io "{self.du_name}"' in body.get('message', ''), f'409 message: {body.get("message")}')
        now = self._du('get', self.du_name)
        expect_equal((now['spec'].get('cancel'), now['status']['phase']), (True, 'Accepted'), 'spec.cancel and status.phase')
        return 'replace with a stale resourceVersion: 409 Conflict'

    def dataupload_watch(self):
        rv = self._du('list')['metadata']['resourceVersion']
        other = f'du-watched-{self.suffix}'

        def mutate():
            self._du('create', self._dataupload(other))
            self._du('patch', other, {'status': {'phase': 'Accepted'}})
            self._du('delete', other)

        events, story = self.stream_watch(self.custom.list_namespaced_custom_object, DU_GROUP, DU_VERSION, VELERO_NS, DU_PLURAL,
                                   resource_version=rv, mutate=mutate,
                                   want=lambda ev: any(t == 'DELETED' and o['metadata']['name'] == other for t, o in ev))
        mine = [(t, o) for t, o in events if o['metadata']['name'] == other]
        expect_equal([t for t, _ in mine], ['ADDED', 'MODIFIED', 'DELETED'], f'event types for DataUpload {other} ({story})')
        expect_equal(mine[1][1].get('status', {}).get('phase'), 'Accepted', 'status.phase in the MODIFIED event')
        return 'ADDED, MODIFIED, DELETED for a DataUpload'

    def dataupload_delete(self):
        self._du('delete', self.du_name)
        api_error(lambda: self._du('get', self.du_name), 404, 'NotFound')
        left = self._du('list', label_selector=f'velero.io/backup-name=backup-{self.suffix}')['items']
        expect_equal(left, [], 'DataUploads left with the backup\'s label')
        return 'deleted; get is 404'

    def delete_collection(self):
        self.core.delete_collection_namespaced_config_map(self.ns, label_selector='page=yes')
        expect_equal(names(self.core.list_namespaced_config_map(self.ns, label_selector='page=yes').items), [],
                     'configmaps with page=yes after deletecollection')
        expect_equal(names(self.core.list_namespaced_config_map(self.ns).items), ['cm-a', 'cm-b', 'cm-c'], 'the others')
        return 'deletecollection by label removed exactly the selected ones'

    def namespace_delete(self):
        self.core.delete_namespace(self.ns, body=client.V1DeleteOptions(propagation_policy='Background'))
        deadline = time.monotonic() + 10
        while True:
            try:
                self.core.read_namespace(self.ns)
            except ApiException as e:
                expect_equal(e.status, 404, f'reading the deleted namespace ({e.body})')
                break
            expect(time.monotonic() < deadline, f'namespace {self.ns} still there 10 s after delete')
            time.sleep(0.2)
        api_error(lambda: self.core.read_namespaced_config_map('cm-a', self.ns), 404, 'NotFound')
        return f'{self.ns} and its objects are gone'


ORDER = [
    'namespaces', 'typed-lists', 'list', 'errors', 'dry-run', 'label-selectors', 'field-selectors',
    'paging', 'conflict', 'watch', 'watch-label-selector', 'watch-initial-state', 'patch-strategic',
    'patch-json', 'patch-merge', 'pod-runs', 'dataupload-create-get-list', 'dataupload-merge-patch',
    'dataupload-status-subresource', 'dataupload-conflict', 'dataupload-watch', 'dataupload-delete',
    'delete-collection', 'namespace-delete',
]


def describe_failure(e):
    if isinstance(e, CheckFailed):
        return str(e)
    if isinstance(e, ApiException):
        return f'ApiException {e.status} {e.reason}: {e.body}'
    here = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == __file__]
    where = f' (python-client.py line {here[-1].lineno}: {here[-1].line})' if here else ''
    return f'{type(e).__name__}: {e}{where}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--kubeconfig', required=True)
    args = parser.parse_args()
    configuration = client.Configuration()
    config.load_kube_config(config_file=args.kubeconfig, client_configuration=configuration)
    checks = Checks(TimedApiClient(configuration), secrets.token_hex(3))
    failed = 0
    try:
        for name in ORDER:
            started, unreachable = time.monotonic(), False
            try:
                ok, detail = True, getattr(checks, name.replace('-', '_'))()
            except Exception as e:
                ok, detail = False, describe_failure(e)
                failed += 1
                unreachable = isinstance(e, urllib3.exceptions.MaxRetryError)
            print(json.dumps({'name': name, 'ok': ok, 'detail': detail, 'seconds': round(time.monotonic() - started, 2)}), flush=True)
            if unreachable:
                print(f'the API server is unreachable; the checks after {name} were not run', file=sys.stderr)
                return 1
    finally:
        if failed:
            checks.cleanup_namespace()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
