#!/usr/bin/env python3
# Writes replay/table_gen.go from a Redis source tree's src/commands/*.json:
#   git -C redis checkout 7.0.15 && python3 replay/testdata/gen_table.py redis/src/commands > replay/table_gen.go && gofmt -w replay/table_gen.go
import glob, json, os, sys

cmds = {}
for f in sorted(glob.glob(os.path.join(sys.argv[1], '*.json'))):
    for name, v in json.load(open(f)).items():
        full = name.upper()
        if 'container' in v:
            full = v['container'].upper() + '|' + name.upper()
        cmds[full] = v

def spec(s):
    bs, fk = s.get('begin_search', {}), s.get('find_keys', {})
    parts = []
    if 'index' in bs:
        parts.append('bsIndex: %d' % bs['index']['pos'])
    elif 'keyword' in bs:
        parts.append('bsKeyword: %s, bsStart: %d' % (json.dumps(bs['keyword']['keyword']), bs['keyword']['startfrom']))
    else:
        return None
    if 'range' in fk:
        r = fk['range']
        parts.append('lastKey: %d, step: %d, limit: %d' % (r['lastkey'], r['step'], r['limit']))
    elif 'keynum' in fk:
        k = fk['keynum']
        parts.append('keynum: true, keynumIdx: %d, firstKey: %d, step: %d' % (k['keynumidx'], k['firstkey'], k['step']))
    else:
        return None
    if 'NOT_KEY' in s.get('flags', []):
        return None
    return '{' + ', '.join(parts) + '}'

print('// Code generated from redis/redis src/commands/*.json at tag 7.0.15 (name,')
print('// arity, the write flag and key specs) by testdata/gen_table.py; DO NOT EDIT.')
print()
print('package replay')
print()
print('var commandTable = map[string]*cmdInfo{')
for full in sorted(cmds):
    v = cmds[full]
    flags = v.get('command_flags', [])
    raw = v.get('key_specs', [])
    specs = [spec(s) for s in raw]
    incomplete = any(x is None for x in specs) or any('INCOMPLETE' in s.get('flags', []) for s in raw)
    specs = [s for s in specs if s]
    print('\t%s: {arity: %d, write: %s, incomplete: %s, specs: []keySpec{%s}},' % (
        json.dumps(full), v.get('arity', 0), 'true' if 'WRITE' in flags else 'false',
        'true' if incomplete else 'false', ', '.join(specs)))
print('}')
