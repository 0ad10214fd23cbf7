# python-etcd's auth classes (Debian python3-etcd) against one server, given
# as host:port: each step prints one line, its result or the exception it
# raised, so that the lines for etcd 3.4 and for kvd can be compared.
import sys

import etcd
from etcd import auth

host, port = sys.argv[1].split(':')
port = int(port)


def client(**kw):
    return etcd.Client(host=host, port=port, **kw)


anon = client()
root = client(username='root', password='rootpw')
alice = client(username='alice', password='alicepw')


def step(name, fn):
    try:
        result = fn()
        print(name, 'ok', repr(result))
    except Exception as e:  # the exception's class and text are what is compared
        print(name, type(e).__name__, str(e).replace(sys.argv[1], 'HOST'))


def make_root():
    u = auth.EtcdUser(anon, 'root')
    u.password = 'rootpw'
    u.write()


def make_role():
    r = auth.EtcdRole(anon, 'app')
    r.grant('/app/*', 'RW')
    r.grant('/ro', 'R')
    r.write()
    r = auth.EtcdRole(anon, 'app')
    r.read()
    return sorted(r.acls.items())


def make_alice():
    u = auth.EtcdUser(anon, 'alice')
    u.password = 'alicepw'
    u.roles = ['app']
    u.write()


def read_user(c, name):
    u = auth.EtcdUser(c, name)
    u.read()
    return sorted(u.roles)


def revoke_ro():
    r = auth.EtcdRole(root, 'app')
    r.read()
    r.revoke('/ro', 'R')
    r.write()
    r = auth.EtcdRole(root, 'app')
    r.read()
    return sorted(r.acls.items())


def set_active(c, value):
    auth.Auth(c).active = value


step('active-at-start', lambda: auth.Auth(anon).active)
step('enable-without-root', lambda: set_active(anon, True))
step('make-root', make_root)
step('make-role', make_role)
step('make-alice', make_alice)
step('read-root', lambda: read_user(anon, 'root'))
step('read-missing-user', lambda: read_user(anon, 'nobody'))
step('user-names', lambda: sorted(str(n) for n in auth.EtcdUser(anon, 'x').names))
step('enable', lambda: set_active(anon, True))
step('active-after', lambda: auth.Auth(anon).active)
step('anon-read-user', lambda: read_user(anon, 'root'))
step('alice-read-user', lambda: read_user(alice, 'root'))
step('alice-write-app', lambda: alice.write('/app/k', 'v').value)
step('alice-read-app', lambda: alice.read('/app/k').value)
step('alice-write-other', lambda: alice.write('/other', 'v').value)
step('alice-read-ro', lambda: alice.read('/ro').value)
step('anon-write', lambda: anon.write('/app/k', 'x').value)
step('revoke-ro', revoke_ro)
step('delete-missing-role', lambda: auth.EtcdRole(root, 'nope').delete())
step('delete-alice', lambda: auth.EtcdUser(root, 'alice').delete())
step('alice-after-delete', lambda: alice.read('/app/k').value)
step('disable-as-anon', lambda: set_active(anon, False))
step('disable-as-root', lambda: set_active(root, False))
step('anon-read-after', lambda: anon.read('/app/k').value)
