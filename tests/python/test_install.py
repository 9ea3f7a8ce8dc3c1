"""The package under test is the installed one, not the source tree."""

import pathlib
import sysconfig

import authgate
import authgate._native

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_imported_from_site_packages_not_the_source_tree() -> None:
    pkg = pathlib.Path(authgate.__file__).resolve()
    site = pathlib.Path(sysconfig.get_paths()["purelib"]).resolve()
    platsite = pathlib.Path(sysconfig.get_paths()["platlib"]).resolve()
    assert site in pkg.parents or platsite in pkg.parents, pkg
    assert (ROOT / "python") not in pkg.parents, pkg


def test_extension_is_abi3_and_inside_the_package() -> None:
    native = pathlib.Path(authgate._native.__file__).resolve()
    assert native.parent == pathlib.Path(authgate.__file__).resolve().parent
    assert ".abi3." in native.name or native.suffix == ".pyd", native.name


def test_version_comes_from_cargo() -> None:
    cargo = (ROOT / "Cargo.toml").read_text()
    assert f'version = "{authgate.__version__}"' in cargo
    assert authgate.core_version == authgate.__version__


def test_typing_files_are_installed() -> None:
    pkg = pathlib.Path(authgate.__file__).parent
    assert (pkg / "py.typed").exists()
    assert (pkg / "_native.pyi").exists()


def test_error_codes_match_the_core_table() -> None:
    # The core's ErrorCode::ALL, number and name, as the extension reports it.
    core = {name.upper(): number for number, name in authgate._native._error_codes()}
    python = {c.name: c.value for c in authgate.ErrorCode}
    assert python == core
    assert [n for n, _ in authgate._native._error_codes()] == sorted(c.value for c in authgate.ErrorCode)


def test_every_public_item_has_a_docstring() -> None:
    import inspect

    import authgate.httpx
    import authgate.requests

    missing = []
    for module in (authgate, authgate.requests, authgate.httpx):
        assert module.__doc__, module
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, str):
                continue
            if not (obj.__doc__ or "").strip():
                missing.append(f"{module.__name__}.{name}")
            if inspect.isclass(obj) and not issubclass(obj, authgate.ErrorCode):
                for attr, member in vars(obj).items():
                    if attr.startswith("_") or not (callable(member) or isinstance(member, property)
                                                    or type(member).__name__ == "getset_descriptor"):
                        continue
                    if not (getattr(member, "__doc__", None) or "").strip():
                        missing.append(f"{module.__name__}.{name}.{attr}")
    assert missing == []


def _pyi_client_options() -> list[str]:
    """The parameters of ``Client.__new__`` in the installed ``.pyi``, in order."""
    import ast

    tree = ast.parse((pathlib.Path(authgate.__file__).parent / "_native.pyi").read_text())
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Client")
    new = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__new__")
    return [a.arg for a in new.args.args[1:] + new.args.kwonlyargs]


def test_help_shows_every_client_option() -> None:
    import inspect
    import pydoc

    options = _pyi_client_options()
    signature = inspect.signature(authgate.Client)
    assert list(signature.parameters) == options
    text = pydoc.render_doc(authgate.Client, renderer=pydoc.plaintext)
    for name in options:
        assert f"{name}=None" in text and f"{name}:" in text, name


def test_every_client_option_is_accepted() -> None:
    # A value of the wrong type is a TypeError naming the argument, never "unexpected
    # keyword argument": the signature lists only what Client() understands.
    for name in _pyi_client_options()[1:]:
        try:
            authgate.Client("generic", **{"client_id": "x", name: object()})
        except TypeError as e:
            assert "unexpected keyword" not in str(e), (name, e)
        except authgate.Error:
            pass
