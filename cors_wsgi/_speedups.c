/* The hot path of CORSMiddleware.__call__, in C: optional, CPython only.
 *
 * It answers only the requests whose whole answer was precomputed at construction: an uncovered path,
 * a covered path without Origin, an exact origin (allowed or refused), a preflight already in the
 * exact-origin cache, and an early refusal (oversized value, unknown origin). Everything else, and
 * anything unusual (a non-dict environ, non-str values, keyword arguments, DEBUG logging on), is
 * handed to the Python implementation, CORSMiddleware._call, which is the reference: the tests run
 * every request through both and compare.
 *
 * Why C: in pure Python a middleware pays an interpreter frame for its __call__ and another for its
 * start_response wrapper, and a handful of bytecodes cost as much as the reference layers the
 * performance targets are measured against (README, "Performance").
 *
 * No state is added here: the routing bounds, rule records and answers are the Python policy's own
 * objects, handed over by cors_wsgi.middleware through configure().
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

#if PY_VERSION_HEX < 0x030A0000 /* Python 3.9 */
static inline PyObject *
Py_NewRef(PyObject *obj)
{
    Py_INCREF(obj);
    return obj;
}
#endif

/* Rule records are tuples built by middleware._rule_record(); keep these indexes in step with it. */
enum {
    RULE_NO_ORIGIN,        /* Answer for a request without Origin */
    RULE_EXACT_ANSWERS,    /* dict: exact origin -> Answer */
    RULE_MISS,             /* Answer for any other origin, or None: ask RULE_ACTUAL */
    RULE_INTERCEPT,        /* bool: intercept_exceptions */
    RULE_FAST_PREFLIGHTS,  /* bool: preflights may be answered from the cache */
    RULE_EXACT_ONLY,       /* bool: an origin missing from RULE_EXACT_ANSWERS is refused */
    RULE_EXACT_PREFLIGHTS, /* dict: (origin, method, request headers or None) -> header tuple */
    RULE_REFUSED,          /* tuple: the headers of a refused preflight */
    RULE_ACTUAL,           /* ResourcePolicy.actual: origin -> Answer */
    RULE_ANY_ORIGIN,       /* bool: origins="*" without send_wildcard: a well-formed origin is reflected */
    RULE_ALLOWS,           /* OriginMatcher.allows: origin -> bool, for origin patterns */
    RULE_ALLOWED_TAIL,     /* tuple: the headers after Access-Control-Allow-Origin of an allowed origin */
    RULE_VARY_HEADER,      /* tuple ("Vary", value) of an actual request's answer, or None */
    RULE_REJECTED,         /* Answer for an origin that is not allowed */
    RULE_SIZE
};

static PyObject *s_path_info, *s_http_origin, *s_acrm, *s_acrh, *s_request_method, *s_options;
static PyObject *s_appended, *s_5, *s_6, *s_no_content, *s_forbidden, *s_call, *s_null, *s_acao, *i_debug;

/* ---- the start_response wrapper ------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    PyObject *start_response;
    PyObject *appended; /* the answer's headers plus Vary: what most responses get appended */
    PyObject *answer;   /* the policy's Answer; NULL for a reflected origin until a merge needs it */
    PyObject *origin;   /* NULL, or the reflected origin ... */
    PyObject *actual;   /* ... and ResourcePolicy.actual, which gives its Answer */
    PyObject *merge;    /* middleware._with_answer(headers, answer) -> list */
    PyObject *ordinary; /* headers.ORDINARY_RESPONSE_HEADERS */
    int intercept;
} Responder;

static PyTypeObject ResponderType;

/* The application's headers plus the answer's, as a new list: Python's `headers + answer.appended`
 * when every name is an ordinary one, else middleware._with_answer on a list of them (Vary merging, an
 * app's own CORS headers, odd values), as the Python wrapper does. */
static PyObject *
with_answer(Responder *self, PyObject *headers)
{
    if (!PyList_CheckExact(headers)) { /* a tuple, another iterable, a list subclass */
        PyObject *items = PySequence_List(headers);
        if (items == NULL) {
            return NULL;
        }
        PyObject *result = with_answer(self, items);
        Py_DECREF(items);
        return result;
    }
    Py_ssize_t n = PyList_GET_SIZE(headers);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *item = PyList_GET_ITEM(headers, i);
        if (!PyTuple_CheckExact(item) || PyTuple_GET_SIZE(item) != 2) {
            goto merge;
        }
        PyObject *name = PyTuple_GET_ITEM(item, 0);
        if (!PyUnicode_CheckExact(name)) {
            /* Python's `name not in ORDINARY` hashes it first: an unhashable name is a TypeError. */
            if (PyObject_Hash(name) == -1) {
                return NULL;
            }
            goto merge;
        }
        int ordinary = PySet_Contains(self->ordinary, name); /* an exact str: runs no Python code */
        if (ordinary < 0) {
            return NULL;
        }
        if (!ordinary) {
            goto merge;
        }
    }
    return PySequence_Concat(headers, self->appended);
merge:
    if (self->answer == NULL) {
        self->answer = PyObject_CallOneArg(self->actual, self->origin);
        if (self->answer == NULL) {
            return NULL;
        }
    }
    return PyObject_CallFunctionObjArgs(self->merge, headers, self->answer, NULL);
}

static PyObject *
responder_vectorcall(PyObject *op, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    Responder *self = (Responder *)op;
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    PyObject *slots[3] = {NULL, NULL, NULL}; /* status, headers, exc_info */
    static const char *const names[3] = {"status", "headers", "exc_info"};

    if (nargs > 3) {
        PyErr_Format(PyExc_TypeError, "start_response() takes from 2 to 3 positional arguments but %zd were given",
                     nargs);
        return NULL;
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        slots[i] = args[i];
    }
    if (kwnames != NULL) {
        Py_ssize_t nkw = PyTuple_GET_SIZE(kwnames);
        for (Py_ssize_t k = 0; k < nkw; k++) {
            PyObject *key = PyTuple_GET_ITEM(kwnames, k);
            int slot = -1;
            for (int j = 0; j < 3; j++) {
                if (PyUnicode_CompareWithASCIIString(key, names[j]) == 0) {
                    slot = j;
                }
            }
            if (slot < 0) {
                PyErr_Format(PyExc_TypeError, "start_response() got an unexpected keyword argument '%U'", key);
                return NULL;
            }
            if (slots[slot] != NULL) {
                PyErr_Format(PyExc_TypeError, "start_response() got multiple values for argument '%s'", names[slot]);
                return NULL;
            }
            slots[slot] = args[nargs + k];
        }
    }
    if (slots[0] == NULL || slots[1] == NULL) {
        PyErr_SetString(PyExc_TypeError, "start_response() missing required argument 'status' or 'headers'");
        return NULL;
    }
    PyObject *status = slots[0], *headers = slots[1], *exc_info = slots[2];

    int add = 1;
    if (!self->intercept) { /* a 5xx status is left alone */
        int below = PyObject_RichCompareBool(status, s_5, Py_LT);
        if (below < 0) {
            return NULL;
        }
        if (!below) {
            add = PyObject_RichCompareBool(status, s_6, Py_GE);
            if (add < 0) {
                return NULL;
            }
        }
    }
    PyObject *sent;
    if (add) {
        sent = with_answer(self, headers);
        if (sent == NULL) {
            return NULL;
        }
    }
    else {
        sent = Py_NewRef(headers);
    }
    PyObject *stack[3] = {status, sent, exc_info};
    PyObject *start_response = Py_NewRef(self->start_response);
    PyObject *result =
        PyObject_Vectorcall(start_response, stack, (exc_info == NULL || exc_info == Py_None) ? 2 : 3, NULL);
    Py_DECREF(start_response);
    Py_DECREF(sent);
    return result;
}

static int
responder_traverse(Responder *self, visitproc visit, void *arg)
{
    Py_VISIT(self->start_response);
    Py_VISIT(self->appended);
    Py_VISIT(self->answer);
    Py_VISIT(self->origin);
    Py_VISIT(self->actual);
    Py_VISIT(self->merge);
    Py_VISIT(self->ordinary);
    return 0;
}

static int
responder_clear(Responder *self)
{
    Py_CLEAR(self->start_response);
    Py_CLEAR(self->appended);
    Py_CLEAR(self->answer);
    Py_CLEAR(self->origin);
    Py_CLEAR(self->actual);
    Py_CLEAR(self->merge);
    Py_CLEAR(self->ordinary);
    return 0;
}

static void
responder_dealloc(Responder *self)
{
    PyObject_GC_UnTrack(self);
    responder_clear(self);
    PyObject_GC_Del(self);
}

static PyTypeObject ResponderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cors_wsgi._speedups.cors_start_response",
    .tp_basicsize = sizeof(Responder),
    .tp_dealloc = (destructor)responder_dealloc,
    .tp_vectorcall_offset = offsetof(Responder, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "start_response wrapper adding a CORS answer's headers",
    .tp_traverse = (traverseproc)responder_traverse,
    .tp_clear = (inquiry)responder_clear,
};

/* ---- the middleware's __call__ ------------------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *app;
    PyObject *fallback;   /* CORSMiddleware._call, the Python implementation */
    PyObject *log_cache;  /* the cors_wsgi logger's own isEnabledFor() memo */
    PyObject *everything; /* rule record of a table whose one rule covers every path, or NULL */
    PyObject *low;        /* bounds: a path outside low <= path < high is covered by no rule */
    PyObject *high;       /* NULL: no upper bound */
    PyObject *starts;     /* the one prefix rule: starts <= path < after */
    PyObject *after;
    PyObject *single;     /* its rule record, or NULL */
    PyObject *lookup;     /* PathTable.lookup */
    PyObject *rules;      /* dict: ResourcePolicy -> rule record */
    PyObject *merge;      /* middleware._with_answer */
    PyObject *ordinary;   /* headers.ORDINARY_RESPONSE_HEADERS */
    Py_ssize_t max_origin, max_method, max_acrh;
} Dispatcher;

static PyObject *
call2(PyObject *callable, PyObject *a, PyObject *b)
{
    PyObject *stack[2] = {a, b};
    return PyObject_Vectorcall(callable, stack, 2, NULL);
}

static PyObject *
python_call(Dispatcher *self, PyObject *environ, PyObject *start_response)
{
    /* Not configured (made by __new__ alone): type(self)._call, which fails as it would without C. */
    PyObject *fallback =
        self->fallback != NULL ? Py_NewRef(self->fallback) : PyObject_GetAttr((PyObject *)Py_TYPE(self), s_call);
    if (fallback == NULL) {
        return NULL;
    }
    PyObject *stack[3] = {(PyObject *)self, environ, start_response};
    PyObject *result = PyObject_Vectorcall(fallback, stack, 3, NULL);
    Py_DECREF(fallback);
    return result;
}

static PyObject *
call_app(Dispatcher *self, PyObject *environ, PyObject *start_response)
{
    PyObject *app = self->app;
    if (app == NULL) {
        PyErr_SetString(PyExc_AttributeError, "app");
        return NULL;
    }
    Py_INCREF(app); /* the application may replace middleware.app while it runs */
    PyObject *result = call2(app, environ, start_response);
    Py_DECREF(app);
    return result;
}

/* 1: the logger says DEBUG is off; 0: Python must decide (and log); -1: error. */
static int
logging_off(Dispatcher *self)
{
    PyObject *enabled = PyDict_GetItemWithError(self->log_cache, i_debug);
    if (enabled == NULL && PyErr_Occurred()) {
        return -1;
    }
    return enabled == Py_False;
}

static PyObject *
answer_refused_preflight(PyObject *rule, PyObject *start_response)
{
    PyObject *headers = PySequence_List(PyTuple_GET_ITEM(rule, RULE_REFUSED));
    if (headers == NULL) {
        return NULL;
    }
    PyObject *ignored = call2(start_response, s_forbidden, headers);
    Py_DECREF(headers);
    if (ignored == NULL) {
        return NULL;
    }
    Py_DECREF(ignored);
    return PyList_New(0);
}

/* environ[key] as a new reference; NULL with no error set when it is missing. Strong references
 * throughout: a lookup can run Python code (__eq__ of an odd key), which could drop a borrowed value. */
static PyObject *
environ_get(PyObject *environ, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(environ, key);
    Py_XINCREF(value);
    return value;
}

/* A preflight (OPTIONS with Origin and Access-Control-Request-Method), in the order of _call's fast path. */
static PyObject *
preflight(Dispatcher *self, PyObject *rule, PyObject *environ, PyObject *start_response, PyObject *origin,
          PyObject *method)
{
    if (PyTuple_GET_ITEM(rule, RULE_FAST_PREFLIGHTS) != Py_True || !PyUnicode_CheckExact(method)) {
        return python_call(self, environ, start_response);
    }
    int off = logging_off(self);
    if (off <= 0) {
        return off < 0 ? NULL : python_call(self, environ, start_response);
    }
    PyObject *acrh = environ_get(environ, s_acrh);
    if (acrh == NULL && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *result;
    if (acrh != NULL && !PyUnicode_CheckExact(acrh)) {
        result = python_call(self, environ, start_response);
    }
    /* Oversized values are refused before anything is hashed. */
    else if (PyUnicode_GET_LENGTH(origin) > self->max_origin || PyUnicode_GET_LENGTH(method) > self->max_method ||
             (acrh != NULL && PyUnicode_GET_LENGTH(acrh) > self->max_acrh)) {
        result = answer_refused_preflight(rule, start_response);
    }
    else {
        PyObject *key = PyTuple_Pack(3, origin, method, acrh == NULL ? Py_None : acrh);
        PyObject *cache = PyTuple_GET_ITEM(rule, RULE_EXACT_PREFLIGHTS);
        PyObject *cached = key == NULL ? NULL : PyDict_GetItemWithError(cache, key);
        Py_XDECREF(key);
        int listed = 1;
        if (cached != NULL) { /* the policy's own tuple: never removed from the cache */
            PyObject *headers = PySequence_List(cached);
            PyObject *ignored = headers == NULL ? NULL : call2(start_response, s_no_content, headers);
            Py_XDECREF(headers);
            result = ignored == NULL ? NULL : PyList_New(0);
            Py_XDECREF(ignored);
        }
        else if (PyErr_Occurred()) {
            result = NULL;
        }
        else if (PyTuple_GET_ITEM(rule, RULE_EXACT_ONLY) == Py_True &&
                 (listed = PyDict_Contains(PyTuple_GET_ITEM(rule, RULE_EXACT_ANSWERS), origin)) <= 0) {
            result = listed < 0 ? NULL : answer_refused_preflight(rule, start_response);
        }
        else {
            result = python_call(self, environ, start_response);
        }
    }
    Py_XDECREF(acrh);
    return result;
}

/* ORIGIN_RE.fullmatch(origin) is not None (cors_wsgi/origins.py), for an exact str: the shape of a
 * serialised origin, `scheme://host[:port]`, lowercase ASCII. test_speedups compares the two. */
static int
origin_shape_ok(PyObject *origin)
{
    if (!PyUnicode_IS_ASCII(origin)) {
        return 0;
    }
    const char *text = (const char *)PyUnicode_DATA(origin);
    Py_ssize_t length = PyUnicode_GET_LENGTH(origin), i = 0;
#define LOWER(c) ((c) >= 'a' && (c) <= 'z')
#define DIGIT(c) ((c) >= '0' && (c) <= '9')
#define LABEL(c) (LOWER(c) || DIGIT(c) || (c) == '_' || (c) == '-')
    /* scheme: [a-z][a-z0-9+.-]* "://" */
    if (i >= length || !LOWER(text[i])) {
        return 0;
    }
    while (i < length && (LOWER(text[i]) || DIGIT(text[i]) || text[i] == '+' || text[i] == '.' || text[i] == '-')) {
        i++;
    }
    if (length - i < 3 || text[i] != ':' || text[i + 1] != '/' || text[i + 2] != '/') {
        return 0;
    }
    i += 3;
    if (i < length && text[i] == '[') { /* IPv6: "[" [0-9a-f:.]+ "]" */
        Py_ssize_t start = ++i;
        while (i < length && (DIGIT(text[i]) || (text[i] >= 'a' && text[i] <= 'f') || text[i] == ':' || text[i] == '.')) {
            i++;
        }
        if (i == start || i >= length || text[i] != ']') {
            return 0;
        }
        i++;
    }
    else { /* labels of [a-z0-9_-], not starting or ending with "-", joined by "." */
        for (;;) {
            Py_ssize_t start = i;
            while (i < length && LABEL(text[i])) {
                i++;
            }
            if (i == start || text[start] == '-' || text[i - 1] == '-') {
                return 0;
            }
            if (i < length && text[i] == '.') {
                i++;
                continue;
            }
            break;
        }
    }
    if (i == length) {
        return 1;
    }
    /* port: ":" ([1-9][0-9]{0,4} | "0") */
    if (text[i] != ':' || ++i >= length) {
        return 0;
    }
    Py_ssize_t digits = length - i;
    if (text[i] == '0') {
        return digits == 1;
    }
    if (digits > 5) {
        return 0;
    }
    for (; i < length; i++) {
        if (!DIGIT(text[i])) {
            return 0;
        }
    }
    return 1;
#undef LOWER
#undef DIGIT
#undef LABEL
}

static PyObject *
shape_ok(PyObject *module, PyObject *origin)
{
    if (!PyUnicode_CheckExact(origin)) {
        PyErr_SetString(PyExc_TypeError, "origin_shape_ok() takes a str");
        return NULL;
    }
    return PyBool_FromLong(origin_shape_ok(origin));
}

/* What a response to an allowed origin that is not listed gets appended: [(ACAO, origin), *tail, vary]. */
static PyObject *
reflected(PyObject *rule, PyObject *origin)
{
    PyObject *tail = PyTuple_GET_ITEM(rule, RULE_ALLOWED_TAIL);
    PyObject *vary = PyTuple_GET_ITEM(rule, RULE_VARY_HEADER);
    Py_ssize_t n = PyTuple_GET_SIZE(tail);
    PyObject *acao = PyTuple_Pack(2, s_acao, origin);
    PyObject *appended = acao == NULL ? NULL : PyList_New(1 + n + (vary != Py_None));
    if (appended == NULL) {
        Py_XDECREF(acao);
        return NULL;
    }
    PyList_SET_ITEM(appended, 0, acao);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyList_SET_ITEM(appended, 1 + i, Py_NewRef(PyTuple_GET_ITEM(tail, i)));
    }
    if (vary != Py_None) {
        PyList_SET_ITEM(appended, 1 + n, Py_NewRef(vary));
    }
    return appended;
}

/* The answer to an actual request from `origin` (a new reference); None: an allowed origin that is not
 * listed, whose headers reflect it; NULL with an error set. */
static PyObject *
actual_answer(Dispatcher *self, PyObject *rule, PyObject *origin)
{
    PyObject *answer = NULL;
    if (PyUnicode_GET_LENGTH(origin) <= self->max_origin) { /* a hostile Origin is not hashed */
        answer = PyDict_GetItemWithError(PyTuple_GET_ITEM(rule, RULE_EXACT_ANSWERS), origin);
        if (answer == NULL && PyErr_Occurred()) {
            return NULL;
        }
    }
    if (answer == NULL) {
        answer = PyTuple_GET_ITEM(rule, RULE_MISS);
        if (answer == Py_None) { /* "*" or an origin pattern: is it allowed? (OriginMatcher.allows) */
            int allowed = 0;
            if (PyUnicode_GET_LENGTH(origin) > self->max_origin) {
                allowed = 0;
            }
            else if (PyTuple_GET_ITEM(rule, RULE_ANY_ORIGIN) == Py_True) {
                allowed = PyUnicode_Compare(origin, s_null) == 0 || origin_shape_ok(origin);
            }
            else {
                PyObject *verdict = PyObject_CallOneArg(PyTuple_GET_ITEM(rule, RULE_ALLOWS), origin);
                allowed = verdict == NULL ? -1 : PyObject_IsTrue(verdict);
                Py_XDECREF(verdict);
            }
            if (allowed < 0) {
                return NULL;
            }
            if (allowed) {
                return Py_NewRef(Py_None); /* reflect it: the caller builds the headers */
            }
            answer = PyTuple_GET_ITEM(rule, RULE_REJECTED);
        }
    }
    return Py_NewRef(answer);
}

/* Everything after routing; `rule` is a strong reference the caller releases. */
static PyObject *
covered(Dispatcher *self, PyObject *rule, PyObject *environ, PyObject *start_response)
{
    PyObject *answer;          /* new reference; None: reflect `reflect` */
    PyObject *reflect = NULL;  /* new reference: the allowed, unlisted origin */
    PyObject *origin = environ_get(environ, s_http_origin);
    if (origin == NULL) {
        if (PyErr_Occurred()) {
            return NULL;
        }
        answer = Py_NewRef(PyTuple_GET_ITEM(rule, RULE_NO_ORIGIN));
    }
    else {
        if (!PyUnicode_CheckExact(origin)) {
            Py_DECREF(origin);
            return python_call(self, environ, start_response);
        }
        PyObject *method = environ_get(environ, s_acrm);
        PyObject *request_method = method == NULL ? NULL : environ_get(environ, s_request_method);
        if (PyErr_Occurred()) {
            Py_XDECREF(request_method);
            Py_XDECREF(method);
            Py_DECREF(origin);
            return NULL;
        }
        PyObject *result = NULL;
        int handled = 0;
        if (request_method != NULL) {
            if (!PyUnicode_CheckExact(request_method)) {
                result = python_call(self, environ, start_response);
                handled = 1;
            }
            else if (PyUnicode_Compare(request_method, s_options) == 0) {
                result = preflight(self, rule, environ, start_response, origin, method);
                handled = 1;
            }
        }
        Py_XDECREF(request_method);
        Py_XDECREF(method);
        if (handled) {
            Py_DECREF(origin);
            return result;
        }
        answer = actual_answer(self, rule, origin);
        if (answer == Py_None) {
            reflect = origin; /* the reference taken above */
        }
        else {
            Py_DECREF(origin);
        }
        if (answer == NULL) {
            return NULL;
        }
    }
    int off = logging_off(self);
    if (off <= 0) {
        Py_DECREF(answer);
        Py_XDECREF(reflect);
        return off < 0 ? NULL : python_call(self, environ, start_response);
    }
    PyObject *appended;
    if (reflect != NULL) {
        Py_SETREF(answer, NULL); /* built only if a merge needs it (Responder.actual) */
        appended = reflected(rule, reflect);
    }
    else {
        appended = PyObject_GetAttr(answer, s_appended);
    }
    Responder *responder = appended == NULL ? NULL : PyObject_GC_New(Responder, &ResponderType);
    if (responder == NULL) {
        Py_XDECREF(appended);
        Py_XDECREF(answer);
        Py_XDECREF(reflect);
        return NULL;
    }
    responder->vectorcall = responder_vectorcall;
    responder->start_response = Py_NewRef(start_response);
    responder->appended = appended; /* this and the next two: the references taken above */
    responder->answer = answer;
    responder->origin = reflect;
    responder->actual = reflect == NULL ? NULL : Py_NewRef(PyTuple_GET_ITEM(rule, RULE_ACTUAL));
    responder->merge = Py_NewRef(self->merge);
    responder->ordinary = Py_NewRef(self->ordinary);
    responder->intercept = PyTuple_GET_ITEM(rule, RULE_INTERCEPT) == Py_True;
    PyObject_GC_Track(responder);
    PyObject *result = call_app(self, environ, (PyObject *)responder);
    Py_DECREF(responder);
    return result;
}

static PyObject *
dispatcher_call(Dispatcher *self, PyObject *args, PyObject *kwargs)
{
    if ((kwargs != NULL && PyDict_GET_SIZE(kwargs) != 0) || PyTuple_GET_SIZE(args) != 2 || self->fallback == NULL) {
        /* Python reports the error, or serves the call, exactly as it would without this module. */
        PyObject *fallback =
            self->fallback != NULL ? Py_NewRef(self->fallback) : PyObject_GetAttr((PyObject *)Py_TYPE(self), s_call);
        if (fallback == NULL) {
            return NULL;
        }
        PyObject *bound = PyMethod_New(fallback, (PyObject *)self);
        Py_DECREF(fallback);
        if (bound == NULL) {
            return NULL;
        }
        PyObject *result = PyObject_Call(bound, args, kwargs);
        Py_DECREF(bound);
        return result;
    }
    PyObject *environ = PyTuple_GET_ITEM(args, 0);
    PyObject *start_response = PyTuple_GET_ITEM(args, 1);
    if (!PyDict_CheckExact(environ)) {
        return python_call(self, environ, start_response);
    }
    PyObject *rule = self->everything;
    if (rule != NULL) {
        Py_INCREF(rule);
    }
    else {
        /* Borrowed: nothing below runs Python code before the comparisons are done with it. */
        PyObject *path = PyDict_GetItemWithError(environ, s_path_info);
        if (path == NULL || !PyUnicode_CheckExact(path)) {
            return PyErr_Occurred() ? NULL : python_call(self, environ, start_response);
        }
        /* Comparisons of exact str objects run no Python code and cannot fail. */
        if (self->high != NULL &&
            (PyUnicode_Compare(path, self->high) >= 0 || PyUnicode_Compare(path, self->low) < 0)) {
            return call_app(self, environ, start_response); /* no rule can cover it */
        }
        if (self->single != NULL && PyUnicode_Compare(path, self->starts) >= 0 &&
            PyUnicode_Compare(path, self->after) < 0) {
            rule = Py_NewRef(self->single);
        }
        else {
            PyObject *lookup = Py_NewRef(self->lookup);
            Py_INCREF(path);
            PyObject *resource = PyObject_CallOneArg(lookup, path);
            Py_DECREF(path);
            Py_DECREF(lookup);
            if (resource == NULL) {
                return NULL;
            }
            if (resource == Py_None) {
                Py_DECREF(resource);
                return call_app(self, environ, start_response);
            }
            rule = PyDict_GetItemWithError(self->rules, resource);
            Py_DECREF(resource);
            if (rule == NULL) {
                return PyErr_Occurred() ? NULL : python_call(self, environ, start_response);
            }
            Py_INCREF(rule);
        }
    }
    PyObject *result = covered(self, rule, environ, start_response);
    Py_DECREF(rule);
    return result;
}

static int
dispatcher_traverse(Dispatcher *self, visitproc visit, void *arg)
{
    /* No Py_VISIT(Py_TYPE(self)): CORSMiddleware is a heap type, and its own traverse visits it. */
    Py_VISIT(self->app);
    Py_VISIT(self->fallback);
    Py_VISIT(self->log_cache);
    Py_VISIT(self->everything);
    Py_VISIT(self->low);
    Py_VISIT(self->high);
    Py_VISIT(self->starts);
    Py_VISIT(self->after);
    Py_VISIT(self->single);
    Py_VISIT(self->lookup);
    Py_VISIT(self->rules);
    Py_VISIT(self->merge);
    Py_VISIT(self->ordinary);
    return 0;
}

static int
dispatcher_clear(Dispatcher *self)
{
    Py_CLEAR(self->app);
    Py_CLEAR(self->fallback);
    Py_CLEAR(self->log_cache);
    Py_CLEAR(self->everything);
    Py_CLEAR(self->low);
    Py_CLEAR(self->high);
    Py_CLEAR(self->starts);
    Py_CLEAR(self->after);
    Py_CLEAR(self->single);
    Py_CLEAR(self->lookup);
    Py_CLEAR(self->rules);
    Py_CLEAR(self->merge);
    Py_CLEAR(self->ordinary);
    return 0;
}

static void
dispatcher_dealloc(Dispatcher *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    dispatcher_clear(self);
    type->tp_free((PyObject *)self);
}

static PyMemberDef dispatcher_members[] = {
    {"app", T_OBJECT_EX, offsetof(Dispatcher, app), 0, "The wrapped WSGI application."},
    {NULL},
};

static PyTypeObject DispatcherType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "cors_wsgi._speedups.Dispatcher",
    .tp_basicsize = sizeof(Dispatcher),
    .tp_dealloc = (destructor)dispatcher_dealloc,
    .tp_call = (ternaryfunc)dispatcher_call,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Base of CORSMiddleware: its __call__ in C (see cors_wsgi/_speedups.c).",
    .tp_traverse = (traverseproc)dispatcher_traverse,
    .tp_clear = (inquiry)dispatcher_clear,
    .tp_members = dispatcher_members,
    .tp_new = PyType_GenericNew,
};

static void
replace(PyObject **field, PyObject *value)
{
    PyObject *old = *field;
    *field = (value == Py_None) ? NULL : Py_NewRef(value);
    Py_XDECREF(old);
}

static int
valid_record(PyObject *record)
{
    return PyTuple_CheckExact(record) && PyTuple_GET_SIZE(record) == RULE_SIZE &&
           PyDict_CheckExact(PyTuple_GET_ITEM(record, RULE_EXACT_ANSWERS)) &&
           PyDict_CheckExact(PyTuple_GET_ITEM(record, RULE_EXACT_PREFLIGHTS)) &&
           PyTuple_CheckExact(PyTuple_GET_ITEM(record, RULE_REFUSED)) &&
           PyCallable_Check(PyTuple_GET_ITEM(record, RULE_ACTUAL)) &&
           PyCallable_Check(PyTuple_GET_ITEM(record, RULE_ALLOWS)) &&
           PyTuple_CheckExact(PyTuple_GET_ITEM(record, RULE_ALLOWED_TAIL)) &&
           (PyTuple_GET_ITEM(record, RULE_VARY_HEADER) == Py_None ||
            PyTuple_CheckExact(PyTuple_GET_ITEM(record, RULE_VARY_HEADER)));
}

static PyObject *
configure(PyObject *module, PyObject *args)
{
    PyObject *target, *fallback, *log_cache, *everything, *low, *high, *starts, *after, *single, *lookup, *rules;
    PyObject *merge, *ordinary;
    Py_ssize_t max_origin, max_method, max_acrh;
    if (!PyArg_ParseTuple(args, "O!OO!OUOUUOOO!OO!nnn:configure", &DispatcherType, &target, &fallback, &PyDict_Type,
                          &log_cache, &everything, &low, &high, &starts, &after, &single, &lookup, &PyDict_Type,
                          &rules, &merge, &PyFrozenSet_Type, &ordinary, &max_origin, &max_method, &max_acrh)) {
        return NULL;
    }
    /* Everything the request path reads without checking is checked here, once. */
    int valid = PyCallable_Check(fallback) && PyCallable_Check(lookup) && PyCallable_Check(merge) &&
                (high == Py_None || PyUnicode_CheckExact(high)) && PyUnicode_CheckExact(low) &&
                PyUnicode_CheckExact(starts) && PyUnicode_CheckExact(after) &&
                (everything == Py_None || valid_record(everything)) && (single == Py_None || valid_record(single));
    Py_ssize_t position = 0;
    PyObject *key, *record;
    while (valid && PyDict_Next(rules, &position, &key, &record)) {
        valid = valid_record(record);
    }
    if (!valid) {
        PyErr_SetString(PyExc_TypeError, "configure(): arguments do not match middleware._setup's");
        return NULL;
    }
    Dispatcher *self = (Dispatcher *)target;
    replace(&self->fallback, fallback);
    replace(&self->log_cache, log_cache);
    replace(&self->everything, everything);
    replace(&self->low, low);
    replace(&self->high, high);
    replace(&self->starts, starts);
    replace(&self->after, after);
    replace(&self->single, single);
    replace(&self->lookup, lookup);
    replace(&self->rules, rules);
    replace(&self->merge, merge);
    replace(&self->ordinary, ordinary);
    self->max_origin = max_origin;
    self->max_method = max_method;
    self->max_acrh = max_acrh;
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"configure", configure, METH_VARARGS, "Hand a middleware its compiled routing and answers (middleware._setup)."},
    {"origin_shape_ok", shape_ok, METH_O, "ORIGIN_RE.fullmatch(origin) is not None, in C (for the tests)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT, "cors_wsgi._speedups", "CORSMiddleware's hot path in C (optional).", -1, module_methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    struct {
        PyObject **slot;
        const char *text;
    } strings[] = {
        {&s_path_info, "PATH_INFO"},
        {&s_http_origin, "HTTP_ORIGIN"},
        {&s_acrm, "HTTP_ACCESS_CONTROL_REQUEST_METHOD"},
        {&s_acrh, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"},
        {&s_request_method, "REQUEST_METHOD"},
        {&s_options, "OPTIONS"},
        {&s_appended, "appended"},
        {&s_5, "5"},
        {&s_6, "6"},
        {&s_no_content, "204 No Content"},
        {&s_forbidden, "403 Forbidden"},
        {&s_call, "_call"},
        {&s_null, "null"},
        {&s_acao, "Access-Control-Allow-Origin"},
    };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        *strings[i].slot = PyUnicode_InternFromString(strings[i].text);
        if (*strings[i].slot == NULL) {
            return NULL;
        }
    }
    i_debug = PyLong_FromLong(10); /* logging.DEBUG */
    if (i_debug == NULL || PyType_Ready(&ResponderType) < 0 || PyType_Ready(&DispatcherType) < 0) {
        return NULL;
    }
    PyObject *module = PyModule_Create(&module_def);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&DispatcherType);
    if (PyModule_AddObject(module, "Dispatcher", (PyObject *)&DispatcherType) < 0) {
        Py_DECREF(&DispatcherType);
        Py_DECREF(module);
        return NULL;
    }
    if (PyModule_AddIntConstant(module, "RULE_SIZE", RULE_SIZE) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
