from __future__ import annotations

from enum import IntEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ColorDto(BaseModel):
    """
    Set color
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    b: int | None = Field(None, alias="B", ge=0, le=255)
    """
    Get or sets B value of RGB color
    """
    g: int | None = Field(None, alias="G", ge=0, le=255)
    """
    Get or sets G value of RGB color
    """
    r: int | None = Field(None, alias="R", ge=0, le=255)
    """
    Get or sets R value of RGB color
    """


class ErrorResponseDto(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    description: str | None = Field(None, alias="Description")
    error_message: str | None = Field(None, alias="ErrorMessage")
    """
    If any error occurs the message will be displayed in here
    """
    status_code: int | None = Field(None, alias="StatusCode")


class FontStyle(IntEnum):
    """
    Font style enum representing Regular, Bold, Italic, BoldItalic
    """

    INTEGER_0 = 0
    INTEGER_1 = 1
    INTEGER_2 = 2
    INTEGER_3 = 3


class GetApiPdfArgs(BaseModel):
    pass


class ImageResponseDto(BaseModel):
    """
    When setting the Accept-header in the request to "application/json" the image file will be return as Base64 encoded string. Note that converting data to Base64 encoded strings increases the response size with approximately 33%, if you can accept the a binary format it's better to use Accept-header "image/jpeg", "image/png" or "image/gif".
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    error_message: str | None = Field(None, alias="ErrorMessage")
    """
    If any error occurs the message will be displayed in here
    """
    image_base64_string: str | None = Field(None, alias="ImageBase64String")
    """
    The Base64 encoded string that is the image file. This is a complete data uri, including media type that can be used directly as src on a img-tag e.g.
    """


class PdfConcatenationRequestDto(BaseModel):
    """
    Request to concatenate a list of Pdf documents to a single Pdf document.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    pdf_documents_as_base64_string: list[str] | None = Field(
        None, alias="PdfDocumentsAsBase64String"
    )
    """
    The list of Pdf documents encoded as Base64 strings.
    """


class PdfMetadataDto(BaseModel):
    """
    Enter meta data for pdf document
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    author: str | None = Field(None, alias="Author")
    """
    Pdf document author
    """
    enable_add: bool | None = Field(None, alias="EnableAdd")
    """
    Enables or disables adding or modifying text annotations and interactive
    form fields.
    """
    enable_copy: bool | None = Field(None, alias="EnableCopy")
    """
    Enables or disables copying of text and graphics.
    """
    enable_modify: bool | None = Field(None, alias="EnableModify")
    """
    Enables or disables modifying document contents (other than text annotations and
    interactive form fields).
    """
    enable_printing: bool | None = Field(None, alias="EnablePrinting")
    """
    Enables or disables printing.
    """
    keywords: list[str] | None = Field(None, alias="Keywords")
    """
    Pdf document keywords
    """
    owner_password: str | None = Field(None, alias="OwnerPassword")
    """
    Specifies the owner password that will protect full access to any generated PDF documents.
    """
    subject: str | None = Field(None, alias="Subject")
    """
    Pdf document subject
    """
    title: str | None = Field(None, alias="Title")
    """
    Pdf document title
    """
    user_password: str | None = Field(None, alias="UserPassword")
    """
    Specifies the user password that will protect access to any generated PDF documents.
    """


class PdfResponseDto(BaseModel):
    """
    When setting the Accept-header in the request to "application/json" the content of the pdf file will be return as Base64 encoded string. Note that converting data to Base64 encoded strings increases the response size with approximately 33%, if you can accept the a binary format it's better to use Accept-header "application/pdf".
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    error_message: str | None = Field(None, alias="ErrorMessage")
    """
    If any error occurs the message will be displayed in here
    """
    pdf_file_base64_string: str | None = Field(None, alias="PdfFileBase64String")
    """
    The Base64 encoded string that is the pdf file.
    """


class PdfToImageOptions(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    height: int | None = Field(None, alias="Height")
    """
    Set the height of the output image, default value is width of source document. To scale height, and keeping proportions, do not set width;
    """
    horizontal_resolution: float | None = Field(None, alias="HorizontalResolution")
    """
    Set the horizontal resolution, default is 96 dpi;
    """
    image_format: str | None = Field(None, alias="ImageFormat")
    """
    Valid options are "image/jpeg", "image/png" or "image/gif". Default is "image/png"
    """
    jpeg_quality: int | None = Field(None, alias="JpegQuality")
    """
    Sets the quality of jpeg images, range 0 to 100, default is 75
    """
    page_number: int | None = Field(None, alias="PageNumber")
    """
    Which page of the pdf file to generate image from, default is first page
    """
    png_compression_level: int | None = Field(None, alias="PngCompressionLevel")
    """
    Sets the png compression level, range 1 - 9, default is 6
    """
    transparent: bool | None = Field(None, alias="Transparent")
    """
    Keep the background of the image transparent. This setting is not available in JPEG-files, since transparency is not supported in the JPEG format.
    """
    vertical_resolution: float | None = Field(None, alias="VerticalResolution")
    """
    Set the vertical resolution, default is 96 dpi;
    """
    width: int | None = Field(None, alias="Width")
    """
    Set the width of the output image, default value is width of source document. To scale width, and keeping proportions, do not set height;
    """


class PdfToImageRequestDto(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
    )
    options: PdfToImageOptions | None = Field(None, alias="Options")
    pdf_file_base64_string: str | None = Field(None, alias="PdfFileBase64String")
    """
    The pdf file to generate image from, as Base64 encoded string.
    """


class PostApiPdfPdfconcatArgs(BaseModel):
    pdf_documents_as_base64_string: list[str] | None = Field(
        None, alias="PdfDocumentsAsBase64String"
    )
    """
    The list of Pdf documents encoded as Base64 strings.
    """


class PostApiPdfPdftoimageArgs(BaseModel):
    options: PdfToImageOptions | None = Field(None, alias="Options")
    pdf_file_base64_string: str | None = Field(None, alias="PdfFileBase64String")
    """
    The pdf file to generate image from, as Base64 encoded string.
    """


class PostApiPdfWkhtmltopdfArgs(BaseModel):
    html_base64_string: str | None = Field(None, alias="HtmlBase64String")
    """
    Base64 encoded string with html. If property Url is set, it will be used, not HtmlBase64String.
    """
    resources: dict[str, Any] | None = Field(None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the HtmlBase64String document. It uses the filename including relative path as key and the data is provided as a Base64 encoded string.
    """
    url: str | None = Field(None, alias="Url")
    """
    The url to generate pdf from. Url has precedence over HtmlBase64String value if both are set.
    """
    wk_html_to_pdf_arguments: dict[str, Any] | None = Field(
        None, alias="WkHtmlToPdfArguments"
    )
    """
    Command line arguments passed to wkhtmltopdf.
    """


class PostApiPdfXslfoArgs(BaseModel):
    fo_document_base64_string: str | None = Field(None, alias="FoDocumentBase64String")
    """
    This is the complete XSL-FO document provided using Base64 encoding.
    """
    metadata: PdfMetadataDto | None = Field(None, alias="Metadata")
    resources: dict[str, Any] | None = Field(None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the XSL-FO document. It uses the filename as key and the data is provided as a Base64 encoded string.
    """


class PostApiPdfXslfowithtransformArgs(BaseModel):
    fo_document_base64_string: str | None = Field(None, alias="FoDocumentBase64String")
    """
    This is the complete XSL-FO document provided using Base64 encoding.
    """
    metadata: PdfMetadataDto | None = Field(None, alias="Metadata")
    resources: dict[str, Any] | None = Field(None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the XSL-FO document. It uses the filename as key and the data is provided as a Base64 encoded string.
    """
    xml_data_document_base64_string: str | None = Field(
        None, alias="XmlDataDocumentBase64String"
    )
    """
    This is xml data document on which the XSL-FO transform document is applied. Provided using Base64 encoding.
    """


class WkHtmlToPdfRequestDto(BaseModel):
    """
    WkHtmlToPdfRequestDto is the data transfer object for generating a pdf using wkhtmltopdf;
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    html_base64_string: str | None = Field(None, alias="HtmlBase64String")
    """
    Base64 encoded string with html. If property Url is set, it will be used, not HtmlBase64String.
    """
    resources: dict[str, Any] | None = Field(None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the HtmlBase64String document. It uses the filename including relative path as key and the data is provided as a Base64 encoded string.
    """
    url: str | None = Field(None, alias="Url")
    """
    The url to generate pdf from. Url has precedence over HtmlBase64String value if both are set.
    """
    wk_html_to_pdf_arguments: dict[str, Any] | None = Field(
        None, alias="WkHtmlToPdfArguments"
    )
    """
    Command line arguments passed to wkhtmltopdf.
    """


class XOriginPoint(IntEnum):
    INTEGER_0 = 0
    INTEGER_1 = 1
    INTEGER_2 = 2


class YOriginPoint(IntEnum):
    INTEGER_0 = 0
    INTEGER_1 = 1
    INTEGER_2 = 2


class FoRequestDto(BaseModel):
    """
    The basic request with the XSL-FO document as a Base64 encoded string with a set of resources provided with a name and the data of the resource as a Base64 encoded string.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    fo_document_base64_string: str | None = Field(None, alias="FoDocumentBase64String")
    """
    This is the complete XSL-FO document provided using Base64 encoding.
    """
    metadata: PdfMetadataDto | None = Field(None, alias="Metadata")
    resources: dict[str, Any] | None = Field(None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the XSL-FO document. It uses the filename as key and the data is provided as a Base64 encoded string.
    """


class FoTransformRequestDto(BaseModel):
    """
    The XSL-FO transform document and xml data document as a Base64 encoded string with a set of resources provided with a name and the data of the resource as a Base64 encoded string.
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    fo_document_base64_string: str | None = Field(None, alias="FoDocumentBase64String")
    """
    This is the complete XSL-FO document provided using Base64 encoding.
    """
    metadata: PdfMetadataDto | None = Field(None, alias="Metadata")
    resources: dict[str, Any] | None = Field(None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the XSL-FO document. It uses the filename as key and the data is provided as a Base64 encoded string.
    """
    xml_data_document_base64_string: str | None = Field(
        None, alias="XmlDataDocumentBase64String"
    )
    """
    This is xml data document on which the XSL-FO transform document is applied. Provided using Base64 encoding.
    """


class FontDto(BaseModel):
    """
    The Font dto object
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    name: str | None = Field(None, alias="Name")
    """
    Gets the name of the font
    """
    size: float | None = Field(None, alias="Size")
    """
    Gets the size of the font
    """
    style: FontStyle | None = Field(None, alias="Style")


class PdfWriteStringOptions(BaseModel):
    """
    Options for writing string in pdf page;
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    font: FontDto | None = Field(None, alias="Font")
    page_number: int | None = Field(None, alias="PageNumber")
    """
    Get or set which page in the pdf to write on, default is first page.
    """
    text: str | None = Field(None, alias="Text")
    """
    The text to write in the pdf
    """
    text_color: ColorDto | None = Field(None, alias="TextColor")
    x_origin: XOriginPoint | None = Field(None, alias="XOrigin")
    x_position: float | None = Field(None, alias="XPosition")
    """
    Get or set the X axis position on where to write string, in reference to XOrigin.
    """
    y_origin: YOriginPoint | None = Field(None, alias="YOrigin")
    y_position: float | None = Field(None, alias="YPosition")
    """
    Get or set the Y axis position on where to write string, in reference to YOrigin.
    """


class PdfWriteStringRequestDto(BaseModel):
    """
    The request dto object to write a string on pdf page
    """

    model_config = ConfigDict(
        extra="forbid",
    )
    font_file_base64_string: str | None = Field(None, alias="FontFileBase64String")
    """
    System fonts are available, but you can provide your own font file to be embedded in the pdf document. Send font as Base64 encoded string.
    """
    options: PdfWriteStringOptions | None = Field(None, alias="Options")
    pdf_file_base64_string: str | None = Field(None, alias="PdfFileBase64String")
    """
    The pdf file to add text to, as Base64 encoded string.
    """


class PostApiPdfPdfwritestringArgs(BaseModel):
    font_file_base64_string: str | None = Field(None, alias="FontFileBase64String")
    """
    System fonts are available, but you can provide your own font file to be embedded in the pdf document. Send font as Base64 encoded string.
    """
    options: PdfWriteStringOptions | None = Field(None, alias="Options")
    pdf_file_base64_string: str | None = Field(None, alias="PdfFileBase64String")
    """
    The pdf file to add text to, as Base64 encoded string.
    """
