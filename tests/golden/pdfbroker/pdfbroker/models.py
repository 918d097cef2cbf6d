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
        populate_by_name=True,
    )
    b: int | None = Field(default=None, alias="B", ge=0, le=255)
    """
    Get or sets B value of RGB color
    """
    g: int | None = Field(default=None, alias="G", ge=0, le=255)
    """
    Get or sets G value of RGB color
    """
    r: int | None = Field(default=None, alias="R", ge=0, le=255)
    """
    Get or sets R value of RGB color
    """


class ErrorResponseDto(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    description: str | None = Field(default=None, alias="Description")
    error_message: str | None = Field(default=None, alias="ErrorMessage")
    """
    If any error occurs the message will be displayed in here
    """
    status_code: int | None = Field(default=None, alias="StatusCode")


class FontStyle(IntEnum):
    """
    Font style enum representing Regular, Bold, Italic, BoldItalic
    """

    INTEGER_0 = 0
    INTEGER_1 = 1
    INTEGER_2 = 2
    INTEGER_3 = 3


class GetApiPdfArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )


class ImageResponseDto(BaseModel):
    """
    When setting the Accept-header in the request to "application/json" the image file will be return as Base64 encoded string. Note that converting data to Base64 encoded strings increases the response size with approximately 33%, if you can accept the a binary format it's better to use Accept-header "image/jpeg", "image/png" or "image/gif".
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    error_message: str | None = Field(default=None, alias="ErrorMessage")
    """
    If any error occurs the message will be displayed in here
    """
    image_base64_string: str | None = Field(default=None, alias="ImageBase64String")
    """
    The Base64 encoded string that is the image file. This is a complete data uri, including media type that can be used directly as src on a img-tag e.g.
    """


class PdfConcatenationRequestDto(BaseModel):
    """
    Request to concatenate a list of Pdf documents to a single Pdf document.
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    pdf_documents_as_base64_string: list[str] | None = Field(
        default=None, alias="PdfDocumentsAsBase64String"
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
        populate_by_name=True,
    )
    author: str | None = Field(default=None, alias="Author")
    """
    Pdf document author
    """
    enable_add: bool | None = Field(default=None, alias="EnableAdd")
    """
    Enables or disables adding or modifying text annotations and interactive
    form fields.
    """
    enable_copy: bool | None = Field(default=None, alias="EnableCopy")
    """
    Enables or disables copying of text and graphics.
    """
    enable_modify: bool | None = Field(default=None, alias="EnableModify")
    """
    Enables or disables modifying document contents (other than text annotations and
    interactive form fields).
    """
    enable_printing: bool | None = Field(default=None, alias="EnablePrinting")
    """
    Enables or disables printing.
    """
    keywords: list[str] | None = Field(default=None, alias="Keywords")
    """
    Pdf document keywords
    """
    owner_password: str | None = Field(default=None, alias="OwnerPassword")
    """
    Specifies the owner password that will protect full access to any generated PDF documents.
    """
    subject: str | None = Field(default=None, alias="Subject")
    """
    Pdf document subject
    """
    title: str | None = Field(default=None, alias="Title")
    """
    Pdf document title
    """
    user_password: str | None = Field(default=None, alias="UserPassword")
    """
    Specifies the user password that will protect access to any generated PDF documents.
    """


class PdfResponseDto(BaseModel):
    """
    When setting the Accept-header in the request to "application/json" the content of the pdf file will be return as Base64 encoded string. Note that converting data to Base64 encoded strings increases the response size with approximately 33%, if you can accept the a binary format it's better to use Accept-header "application/pdf".
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    error_message: str | None = Field(default=None, alias="ErrorMessage")
    """
    If any error occurs the message will be displayed in here
    """
    pdf_file_base64_string: str | None = Field(
        default=None, alias="PdfFileBase64String"
    )
    """
    The Base64 encoded string that is the pdf file.
    """


class PdfToImageOptions(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    height: int | None = Field(default=None, alias="Height")
    """
    Set the height of the output image, default value is width of source document. To scale height, and keeping proportions, do not set width;
    """
    horizontal_resolution: float | None = Field(
        default=None, alias="HorizontalResolution"
    )
    """
    Set the horizontal resolution, default is 96 dpi;
    """
    image_format: str | None = Field(default=None, alias="ImageFormat")
    """
    Valid options are "image/jpeg", "image/png" or "image/gif". Default is "image/png"
    """
    jpeg_quality: int | None = Field(default=None, alias="JpegQuality")
    """
    Sets the quality of jpeg images, range 0 to 100, default is 75
    """
    page_number: int | None = Field(default=None, alias="PageNumber")
    """
    Which page of the pdf file to generate image from, default is first page
    """
    png_compression_level: int | None = Field(default=None, alias="PngCompressionLevel")
    """
    Sets the png compression level, range 1 - 9, default is 6
    """
    transparent: bool | None = Field(default=None, alias="Transparent")
    """
    Keep the background of the image transparent. This setting is not available in JPEG-files, since transparency is not supported in the JPEG format.
    """
    vertical_resolution: float | None = Field(default=None, alias="VerticalResolution")
    """
    Set the vertical resolution, default is 96 dpi;
    """
    width: int | None = Field(default=None, alias="Width")
    """
    Set the width of the output image, default value is width of source document. To scale width, and keeping proportions, do not set height;
    """


class PdfToImageRequestDto(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    options: PdfToImageOptions | None = Field(default=None, alias="Options")
    pdf_file_base64_string: str | None = Field(
        default=None, alias="PdfFileBase64String"
    )
    """
    The pdf file to generate image from, as Base64 encoded string.
    """


class PostApiPdfPdfconcatArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    pdf_documents_as_base64_string: list[str] | None = Field(
        default=None, alias="PdfDocumentsAsBase64String"
    )
    """
    The list of Pdf documents encoded as Base64 strings.
    """


class PostApiPdfPdftoimageArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    options: PdfToImageOptions | None = Field(default=None, alias="Options")
    pdf_file_base64_string: str | None = Field(
        default=None, alias="PdfFileBase64String"
    )
    """
    The pdf file to generate image from, as Base64 encoded string.
    """


class PostApiPdfWkhtmltopdfArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    html_base64_string: str | None = Field(default=None, alias="HtmlBase64String")
    """
    Base64 encoded string with html. If property Url is set, it will be used, not HtmlBase64String.
    """
    resources: dict[str, Any] | None = Field(default=None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the HtmlBase64String document. It uses the filename including relative path as key and the data is provided as a Base64 encoded string.
    """
    url: str | None = Field(default=None, alias="Url")
    """
    The url to generate pdf from. Url has precedence over HtmlBase64String value if both are set.
    """
    wk_html_to_pdf_arguments: dict[str, Any] | None = Field(
        default=None, alias="WkHtmlToPdfArguments"
    )
    """
    Command line arguments passed to wkhtmltopdf.
    """


class PostApiPdfXslfoArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    fo_document_base64_string: str | None = Field(
        default=None, alias="FoDocumentBase64String"
    )
    """
    This is the complete XSL-FO document provided using Base64 encoding.
    """
    metadata: PdfMetadataDto | None = Field(default=None, alias="Metadata")
    resources: dict[str, Any] | None = Field(default=None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the XSL-FO document. It uses the filename as key and the data is provided as a Base64 encoded string.
    """


class PostApiPdfXslfowithtransformArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    fo_document_base64_string: str | None = Field(
        default=None, alias="FoDocumentBase64String"
    )
    """
    This is the complete XSL-FO document provided using Base64 encoding.
    """
    metadata: PdfMetadataDto | None = Field(default=None, alias="Metadata")
    resources: dict[str, Any] | None = Field(default=None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the XSL-FO document. It uses the filename as key and the data is provided as a Base64 encoded string.
    """
    xml_data_document_base64_string: str | None = Field(
        default=None, alias="XmlDataDocumentBase64String"
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
        populate_by_name=True,
    )
    html_base64_string: str | None = Field(default=None, alias="HtmlBase64String")
    """
    Base64 encoded string with html. If property Url is set, it will be used, not HtmlBase64String.
    """
    resources: dict[str, Any] | None = Field(default=None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the HtmlBase64String document. It uses the filename including relative path as key and the data is provided as a Base64 encoded string.
    """
    url: str | None = Field(default=None, alias="Url")
    """
    The url to generate pdf from. Url has precedence over HtmlBase64String value if both are set.
    """
    wk_html_to_pdf_arguments: dict[str, Any] | None = Field(
        default=None, alias="WkHtmlToPdfArguments"
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
        populate_by_name=True,
    )
    fo_document_base64_string: str | None = Field(
        default=None, alias="FoDocumentBase64String"
    )
    """
    This is the complete XSL-FO document provided using Base64 encoding.
    """
    metadata: PdfMetadataDto | None = Field(default=None, alias="Metadata")
    resources: dict[str, Any] | None = Field(default=None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the XSL-FO document. It uses the filename as key and the data is provided as a Base64 encoded string.
    """


class FoTransformRequestDto(BaseModel):
    """
    The XSL-FO transform document and xml data document as a Base64 encoded string with a set of resources provided with a name and the data of the resource as a Base64 encoded string.
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    fo_document_base64_string: str | None = Field(
        default=None, alias="FoDocumentBase64String"
    )
    """
    This is the complete XSL-FO document provided using Base64 encoding.
    """
    metadata: PdfMetadataDto | None = Field(default=None, alias="Metadata")
    resources: dict[str, Any] | None = Field(default=None, alias="Resources")
    """
    This is a set of key-value pairs of digital resources like images that is referenced in the XSL-FO document. It uses the filename as key and the data is provided as a Base64 encoded string.
    """
    xml_data_document_base64_string: str | None = Field(
        default=None, alias="XmlDataDocumentBase64String"
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
        populate_by_name=True,
    )
    name: str | None = Field(default=None, alias="Name")
    """
    Gets the name of the font
    """
    size: float | None = Field(default=None, alias="Size")
    """
    Gets the size of the font
    """
    style: FontStyle | None = Field(default=None, alias="Style")


class PdfWriteStringOptions(BaseModel):
    """
    Options for writing string in pdf page;
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    font: FontDto | None = Field(default=None, alias="Font")
    page_number: int | None = Field(default=None, alias="PageNumber")
    """
    Get or set which page in the pdf to write on, default is first page.
    """
    text: str | None = Field(default=None, alias="Text")
    """
    The text to write in the pdf
    """
    text_color: ColorDto | None = Field(default=None, alias="TextColor")
    x_origin: XOriginPoint | None = Field(default=None, alias="XOrigin")
    x_position: float | None = Field(default=None, alias="XPosition")
    """
    Get or set the X axis position on where to write string, in reference to XOrigin.
    """
    y_origin: YOriginPoint | None = Field(default=None, alias="YOrigin")
    y_position: float | None = Field(default=None, alias="YPosition")
    """
    Get or set the Y axis position on where to write string, in reference to YOrigin.
    """


class PdfWriteStringRequestDto(BaseModel):
    """
    The request dto object to write a string on pdf page
    """

    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
    )
    font_file_base64_string: str | None = Field(
        default=None, alias="FontFileBase64String"
    )
    """
    System fonts are available, but you can provide your own font file to be embedded in the pdf document. Send font as Base64 encoded string.
    """
    options: PdfWriteStringOptions | None = Field(default=None, alias="Options")
    pdf_file_base64_string: str | None = Field(
        default=None, alias="PdfFileBase64String"
    )
    """
    The pdf file to add text to, as Base64 encoded string.
    """


class PostApiPdfPdfwritestringArgs(BaseModel):
    model_config = ConfigDict(
        populate_by_name=True,
    )
    font_file_base64_string: str | None = Field(
        default=None, alias="FontFileBase64String"
    )
    """
    System fonts are available, but you can provide your own font file to be embedded in the pdf document. Send font as Base64 encoded string.
    """
    options: PdfWriteStringOptions | None = Field(default=None, alias="Options")
    pdf_file_base64_string: str | None = Field(
        default=None, alias="PdfFileBase64String"
    )
    """
    The pdf file to add text to, as Base64 encoded string.
    """
